"""A crawler: every page each role can reach, every form on them sent with one field
spoiled at a time, every id in an address replaced by one that cannot exist.

For each demo account (an admin, distribution staff, a treasurer, a coordinator) and a
stranger, it walks the links from the landing page (same site, GET, never logging
out), collects every form, and sends each with one field spoiled in turn: empty, the
wrong type, a huge string, a NUL byte, a control character, far or impossible dates,
huge and negative numbers, other scripts' digits, amounts that overflow or are finer
than a currency allows, and far more lines than the form shows. Every address with an
id is asked again with ids that cannot exist; every query argument of the addresses met
is spoiled the same way, and a few arguments any page might read are tried on every
page.

Nothing may answer 5xx; an address whose id cannot exist answers 404; a request that
was refused (4xx) leaves the documents, the moves and the audit trail as they were.

The first role to meet a form (or a query argument) sends every spoiled value of each
field; roles after it send two of them in turn, so that each form is still sent by
each role that has it, and the whole crawl stays within a minute or so per engine.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter

from tests.factories import log_in
from tracker.models import AuditEntry, Document, Move

# The values a field is spoiled with, one at a time: every field gets the common ones,
# and those of its kind (read from the element: a date input, a number typed, an
# amount, a hidden id or a choice, a text).
COMMON = ["", "abc", "a\x00b", "x" * 5000]
NUMBER = ["1.5", "-1", "2147483648", "9" * 30, "١٢", "1_000"]
MONEY = ["1e999999999", "1e-999999999", "sNaN", "21474836.48"]
DATE = ["0001-01-01", "9999-12-31", "2024-02-30"]
MOMENT = ["0001-01-01T00:00", "9999-12-31T23:59", "2024-02-30T10:00", "2024-03-01"]
TEXT = ["a\x0bb"]
# What an id in an address is replaced with.
ID_SPOILS = [str(2**31), str(2**63), "9" * 30, "abc", "-1", "١"]
# What a query argument is replaced with.
QUERY_SPOILS = ["abc", "", "2147483648", "9" * 30, "-1", "a\x00b", "0001-01-01", "9999-12-31", "١"]
# Query arguments tried on every page: the keyset pager and the usual filters (each
# with one spoiled value, taken in turn from QUERY_SPOILS).
EXTRA_QUERY = ("before", "section", "edition", "location", "location_id", "from", "to", "start")
# Lines sent at once on a form that has repeating lines.
MANY_LINES = 5000
# Spoiled values a role sends per field of a form an earlier role sent in full.
SAMPLE = 2

# The admin first: it meets the most forms.
ACCOUNTS = [
    "admin@example.org",
    "distribution@example.org",
    "treasurer.gb@example.org",
    "coordinator@example.org",
    None,
]


@dataclass
class FoundForm:
    action: str
    method: str
    values: dict[str, str]
    # Field names to spoil (one per field, the first line's for repeating lines), with
    # the values to spoil each with.
    spoilable: dict[str, list[str]]


@dataclass
class Covered:
    """What earlier roles sent in full: forms by their shape, query arguments by route."""

    forms: Counter = field(default_factory=Counter)
    queries: Counter = field(default_factory=Counter)


@dataclass
class Crawl:
    app: object
    client: object
    covered: Covered
    failures: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    forms: dict[tuple, FoundForm] = field(default_factory=dict)
    requests: int = 0

    # -- talking to the app ----------------------------------------------------------------

    def counts(self) -> tuple:
        with self.app.extensions["tracker.db"].session_factory() as session:
            return session.execute(
                select(
                    select(func.count()).select_from(Document).scalar_subquery(),
                    select(func.count()).select_from(Move).scalar_subquery(),
                    select(func.count()).select_from(AuditEntry).scalar_subquery(),
                )
            ).one()

    def request(self, method: str, url: str, data: dict | None = None, *, what: str = ""):
        before = self.counts() if method == "POST" and url != "/login" else None
        self.requests += 1
        try:
            # Read whole, as a browser does (a streamed export reads as it is sent).
            response = self.client.open(url, method=method, data=data, buffered=True)
        except Exception as error:  # a crash is what the crawler reports
            self.failures.append(f"{method} {url} {what}: raised {error!r}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{method} {url} {what}: {response.status_code}")
        elif before is not None and response.status_code >= 400:
            after = self.counts()
            if after != before:
                self.failures.append(
                    f"{method} {url} {what}: refused ({response.status_code}) but wrote "
                    f"(documents, moves, audit entries) {tuple(before)} -> {tuple(after)}"
                )
        return response

    def endpoint(self, url: str, method: str = "GET"):
        adapter = self.app.url_map.bind("localhost")
        try:
            return adapter.match(urlsplit(url).path, method=method)
        except (NotFound, MethodNotAllowed):
            return None, {}

    def csrf(self) -> str:
        html = self.client.get("/account/password").get_data(as_text=True)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
        return match.group(1) if match else ""

    # -- walking ---------------------------------------------------------------------------

    def walk(self, start: str) -> None:
        """Every route once (once per set of query arguments), from ``start``."""
        queue, queued, taken = deque([start]), {start}, set()
        while queue:
            url = queue.popleft()
            endpoint, _args = self.endpoint(url)
            key = (endpoint, tuple(sorted(k for k, _v in parse_qsl(urlsplit(url).query))))
            if endpoint is None or key in taken:
                continue
            taken.add(key)
            response = self.request("GET", url)
            if response is None or response.status_code != 200:
                continue
            self.pages.append(url)
            if response.mimetype != "text/html":
                continue
            soup = BeautifulSoup(response.get_data(as_text=True), "lxml")
            for link in soup.find_all("a", href=True):
                href = urljoin(url, link["href"]).removeprefix("http://localhost").split("#")[0]
                if (
                    href.startswith("/")
                    and not href.startswith(("//", "/static/", "/logout"))
                    and href not in queued
                ):
                    queued.add(href)
                    queue.append(href)
            for form in soup.find_all("form"):
                self.collect(url, form)

    def collect(self, page: str, form) -> None:
        method = (form.get("method") or "get").upper()
        action = urljoin(page, form.get("action") or page).removeprefix("http://localhost")
        if action.startswith("/logout"):
            return
        values, kinds = _form_values(form)
        endpoint, _ = self.endpoint(action, method)
        shape = (method, endpoint, tuple(sorted({_generic(n) for n in values})))
        if shape in self.forms:
            return
        spoilable: dict[str, list[str]] = {}
        for name, spoils in kinds.items():
            if name != "csrf_token" and _generic(name) not in {_generic(n) for n in spoilable}:
                spoilable[name] = spoils
        self.forms[shape] = FoundForm(action, method, values, spoilable)

    # -- spoiling --------------------------------------------------------------------------

    def send(self, form: FoundForm, data: dict, what: str):
        if "submission_key" in data:
            data = {**data, "submission_key": uuid.uuid4().hex}
        if form.method == "GET":
            url = urlsplit(form.action)._replace(query=urlencode(data)).geturl()
            return self.request("GET", url, what=what)
        return self.request("POST", form.action, data, what=what)

    def spoil_forms(self) -> None:
        for shape, form in self.forms.items():
            # Far more lines than the form shows, first (while the form still applies):
            # refused before they are read.
            lines = [n for n in form.values if re.match(r"^\w+-0-", n)]
            if lines:
                many = dict(form.values)
                for i in range(MANY_LINES):
                    for name in lines:
                        many[re.sub(r"-0-", f"-{i}-", name, count=1)] = form.values[name]
                response = self.send(form, many, f"{MANY_LINES} lines")
                if response is not None and not 400 <= response.status_code < 500:
                    self.failures.append(
                        f"{form.action}: {MANY_LINES} lines answered {response.status_code}"
                    )
            turn = self.covered.forms[shape]
            self.covered.forms[shape] += 1
            for name, spoils in form.spoilable.items():
                if turn:
                    start = (turn - 1) * SAMPLE
                    spoils = [spoils[(start + i) % len(spoils)] for i in range(SAMPLE)]
                for spoil in spoils:
                    self.send(form, {**form.values, name: spoil}, f"{name}={spoil[:20]!r}")

    def spoil_ids(self) -> None:
        """Every address with an id, with ids that cannot exist: 404."""
        targets = {}
        for url in self.pages:
            targets.setdefault(self.endpoint(url)[0], ("GET", url))
        for form in self.forms.values():
            if form.method == "POST":
                targets.setdefault(self.endpoint(form.action, "POST")[0], ("POST", form.action))
        for endpoint, (method, url) in targets.items():
            rule = next(
                (r for r in self.app.url_map.iter_rules(endpoint) if method in r.methods), None
            )
            if rule is None:
                continue
            _e, args = self.endpoint(url, method)
            for name, converter in rule._converters.items():
                if not isinstance(converter, IntegerConverter):
                    continue
                for spoil in ID_SPOILS:
                    path = urlsplit(url).path
                    bad = re.sub(rf"(?<=/){args[name]}(?=/|$)", spoil, path, count=1)
                    data = {"csrf_token": self.csrf()} if method == "POST" else None
                    response = self.request(method, bad, data, what=f"{name}={spoil}")
                    if response is not None and response.status_code != 404:
                        self.failures.append(
                            f"{method} {bad}: {response.status_code}, not 404, for an id that "
                            "cannot exist"
                        )

    def spoil_queries(self) -> None:
        """Each query argument met (in full once per route), and a few every page might
        read, each with one spoiled value."""
        extra = 0
        for url in self.pages:
            parts = urlsplit(url)
            endpoint, _ = self.endpoint(url)
            args = dict(parse_qsl(parts.query, keep_blank_values=True))
            if "format" in args:
                continue
            tries = []
            for name in sorted(args):
                turn = self.covered.queries[(endpoint, name)]
                self.covered.queries[(endpoint, name)] += 1
                spoils = QUERY_SPOILS if not turn else [QUERY_SPOILS[turn % len(QUERY_SPOILS)]]
                tries += [(name, spoil) for spoil in spoils]
            for name in EXTRA_QUERY:
                if name not in args and not self.covered.queries[(endpoint, name, "extra")]:
                    self.covered.queries[(endpoint, name, "extra")] += 1
                    tries.append((name, QUERY_SPOILS[extra % len(QUERY_SPOILS)]))
                    extra += 1
            for name, spoil in tries:
                query = urlencode({**args, name: spoil})
                self.request("GET", parts._replace(query=query).geturl(), what=name)


def _generic(name: str) -> str:
    return re.sub(r"-\d+-", "-N-", name)


def _spoils(element, name: str) -> list[str]:
    """The values to spoil a field with, by what the field holds."""
    kind = element.get("type", "text") if element.name == "input" else element.name
    mode = element.get("inputmode", "")
    spoils = list(COMMON)
    if kind == "date":
        return spoils + DATE
    if kind == "datetime-local":
        return spoils + MOMENT
    if kind in ("hidden", "select", "radio", "checkbox") or mode in ("numeric", "decimal"):
        spoils += NUMBER
    if mode == "decimal" or re.search(r"price|amount|rate", name):
        spoils += MONEY
    if kind in ("text", "textarea", "email", "hidden", "search"):
        spoils += TEXT
    return spoils


def _form_values(form) -> tuple[dict[str, str], dict[str, list[str]]]:
    """What a browser would send, and each field's spoils, in the form's order."""
    values: dict[str, str] = {}
    kinds: dict[str, list[str]] = {}
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        kind = element.get("type", "text")
        if not name or element.has_attr("disabled") or kind in ("submit", "button"):
            continue
        kinds.setdefault(name, _spoils(element, name))
        if element.name == "select":
            chosen = element.find("option", selected=True)
            options = [o for o in element.find_all("option") if o.get("value")]
            chosen = chosen if chosen is not None and chosen.get("value") else None
            chosen = chosen or (options[0] if options else None)
            values[name] = chosen.get("value", "") if chosen else ""
        elif element.name == "textarea":
            values[name] = element.get_text()
        elif kind in ("checkbox", "radio"):
            if element.has_attr("checked") or (kind == "radio" and name not in values):
                values[name] = element.get("value", "y")
        else:
            values[name] = element.get("value", "")
    return values, kinds


@pytest.mark.slow
def test_nothing_anyone_can_send_breaks_the_tracker(demo_app):
    covered = Covered()
    failures, requests, forms = [], 0, 0
    for account in ACCOUNTS:
        client = demo_app.test_client()
        if account:
            log_in(client, account)
        crawl = Crawl(demo_app, client, covered)
        crawl.walk("/" if account else "/login")
        assert crawl.pages, f"the crawler found no page as {account or 'a stranger'}"
        crawl.spoil_forms()
        crawl.spoil_ids()
        crawl.spoil_queries()
        failures += [f"[{account or 'stranger'}] {failure}" for failure in crawl.failures]
        requests += crawl.requests
        forms += len(crawl.forms)
    # The admin alone meets some twenty forms: a crawl that finds few is a broken crawl.
    assert forms >= 40, forms
    assert not failures, f"{len(failures)} failures in {requests} requests:\n" + "\n".join(
        failures[:300]
    )
