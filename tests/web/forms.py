"""Fill in and send the forms of the pages, as a browser would: every hidden field the
page carries (CSRF token, submission key, line ids) goes with what the test types."""

from __future__ import annotations

from bs4 import BeautifulSoup


def page(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def form_values(form) -> dict[str, str]:
    values: dict[str, str] = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.has_attr("disabled"):
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            values[name] = chosen.get("value", "") if chosen else ""
        elif field.name == "textarea":
            values[name] = field.get_text()
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                values[name] = field.get("value", "y")
        else:
            values[name] = field.get("value", "")
    return values


def line_index(form, edition_id: int, condition: str | None = None, key: str = "edition_id") -> int:
    """The index N of the ``lines-N-...`` fields for an edition (and condition)."""
    for field in form.find_all("input", attrs={"value": str(edition_id)}):
        name = field.get("name", "")
        if name.startswith("lines-") and name.endswith(f"-{key}"):
            index = int(name.split("-")[1])
            if condition is None or form.find(
                "input", attrs={"name": f"lines-{index}-condition", "value": condition}
            ):
                return index
    raise AssertionError(f"no line for {edition_id} {condition}")


def send(
    client,
    url: str,
    values: dict | None = None,
    *,
    lines: dict | None = None,
    action: str | None = None,
    selector: str | None = None,
    follow: bool = False,
):
    """GET ``url``, fill a POST form of the page's content (the one matching the CSS
    ``selector``, or whose action contains ``action``, else the last) with ``values``
    and with ``lines`` ({(edition_id, condition or None): {field: value}}), and send it."""
    soup = page(client, url)
    main = soup.find("main")
    forms = [
        f
        for f in (main.select(selector) if selector else main.find_all("form"))
        if (f.get("method") or "").lower() == "post"
        and (action is None or action in (f.get("action") or ""))
    ]
    assert forms, f"no form on {url}" + (f" for {action or selector}" if action or selector else "")

    form = forms[-1]

    data = form_values(form)
    for (edition_id, condition), fields in (lines or {}).items():
        index = line_index(form, edition_id, condition)
        for name, value in fields.items():
            data[f"lines-{index}-{name}"] = str(value)
    data.update({k: ("" if v is None else str(v)) for k, v in (values or {}).items()})
    return client.post(form.get("action") or url, data=data, follow_redirects=follow)


def errors(response) -> list[str]:
    """The messages a page shows about a form: field errors and form errors."""
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    found = [e.get_text(" ", strip=True) for e in soup.select(".field-error")]
    found += [e.get_text(" ", strip=True) for e in soup.select(".flash-error")]
    return found
