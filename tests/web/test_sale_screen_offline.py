"""What lets the sale screen open and sell without a connection: its service worker (from
the root, for anyone, told what to keep), its manifest, the Content Security Policy that
allows both, and the page's directions to its script."""

from __future__ import annotations

import json
import shutil

from tests.factories import World
from tests.web.forms import page
from tracker.domain.accounts import Role


def _worker_config(body: str) -> dict:
    first, _, script = body.partition("\n")
    assert first.startswith("self.TRACKER = ") and first.endswith(";")
    assert 'addEventListener("fetch"' in script
    return json.loads(first.removeprefix("self.TRACKER = ").removesuffix(";"))


def test_the_service_worker_is_served_from_the_root_to_anyone(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    # Served from the root, its scope covers every sale screen.
    config = _worker_config(response.get_data(as_text=True))
    assert config["start"] == "/events" and config["logout"] == "/logout"
    assert "/static/js/sale.js" in config["assets"]
    assert "/static/css/app.css" in config["assets"]
    # Everything it keeps is there to keep.
    for asset in config["assets"]:
        assert client.get(asset).status_code == 200, asset
    # Never kept by a browser's cache: a new release reaches the phones.
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_the_workers_version_follows_what_it_keeps(client, app, tmp_path):
    """A release that changes an asset changes the worker: phones fetch them again."""
    version = _worker_config(client.get("/sw.js").get_data(as_text=True))["version"]
    original = app.static_folder
    static = tmp_path / "static"
    shutil.copytree(original, static)
    app.static_folder = str(static)
    try:
        assert _worker_config(client.get("/sw.js").get_data(as_text=True))["version"] == version
        (static / "js" / "sale.js").write_text("// a new release\n")
        changed = _worker_config(client.get("/sw.js").get_data(as_text=True))["version"]
        assert changed != version
    finally:
        app.static_folder = original


def test_the_manifest_installs_the_sale_screen(client):
    response = client.get("/static/manifest.webmanifest")
    assert response.status_code == 200
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "../events" and manifest["scope"] == "../"
    # A drawing for any size, and the pictures some phones want to put on a home screen.
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert sizes == {"any", "192x192", "512x512"}
    for icon in manifest["icons"]:
        response = client.get("/static/" + icon["src"])
        assert response.status_code == 200 and response.mimetype == icon["type"]


def test_the_sale_screen_gives_its_script_what_it_needs(world: World, session, login):
    world.stocked(10)
    session.commit()
    treasurer = login(Role.TREASURER, "GB")
    store = world.loc("GB-STORE")
    soup = page(treasurer, f"/sections/{store.section_id}/sell")
    assert soup.find("link", rel="manifest")["href"] == "/static/manifest.webmanifest"
    root = soup.select_one(".sell[data-place]")
    assert root["data-place"] == str(store.id)
    assert root["data-sales-url"] == f"/places/{store.id}/sales"
    assert root["data-worker"] == "/sw.js" and root["data-scope"] == "/"
    assert root["data-copy"] == "live" and int(root["data-as-of"]) > 0
    tile = soup.select_one(".tile[data-key]")
    assert tile["data-key"] == f"{world.edition.id}:unsigned"
    assert tile["data-stock"] == "10"
    # A compact header with a way back, in place of the site's.
    assert soup.select_one(".site-header") is None
    assert soup.select_one(".sell-bar a.back")["href"] == "/events"
    # The plain form is still there for a phone without the script.
    form = soup.select_one("form.sale-form")
    assert form["method"] == "post" and form.select_one("input[name=submission_key]")
