"""Two app processes behind HAProxy share one room (``make serve WORKERS=2``).

A team joins through one worker; the facilitator's dashboard, served by the other,
shows it. Each browser context is pinned to its worker by the proxy's own stickiness
cookie, and the proxy's statistics confirm both workers hold a live session. The
store is a SQLite file, or PostgreSQL when ``WHIPLASH_TEST_POSTGRES_URL`` names a
throwaway server (``make test-postgres`` starts one).
"""

from __future__ import annotations

import gzip
import os
import re
import urllib.request
from collections.abc import Iterator

import pytest

from serve import COOKIE, WORKER_HEADER, Cluster, ServeError, cluster, find_haproxy, free_port
from tests.support.rooms import POSTGRES_URL, empty_postgres
from tests.support.server import BROWSER_TIMEOUT_MS

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def proxied(tmp_path_factory) -> Iterator[Cluster]:
    try:
        find_haproxy()
    except ServeError as exc:
        pytest.skip(str(exc))
    folder = tmp_path_factory.mktemp("serve")
    url = empty_postgres() if POSTGRES_URL else f"sqlite:///{folder / 'rooms.sqlite'}"
    env = dict(os.environ, WHIPLASH_DATABASE_URL=url)
    with cluster(workers=2, port=free_port(), run_dir=folder, env=env) as running:
        yield running


def open_pinned(browser, proxied: Cluster, worker: str, path: str):
    """A new browser context whose session the proxy keeps on ``worker``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": COOKIE, "value": worker, "url": proxied.url}])
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    response = page.goto(proxied.url + path)
    assert response is not None and response.headers[WORKER_HEADER.lower()] == worker
    return page


def test_a_team_joined_through_one_worker_shows_on_the_other(browser, proxied):
    host = open_pinned(browser, proxied, "w2", "/Room")
    host.get_by_role("button", name="Open a new room").click()
    heading = host.get_by_role("heading", name=re.compile(r"Room code: \w{4}-\w{4}"))
    expect(heading).to_be_visible()
    code = heading.inner_text().split(":", 1)[1].strip()
    expect(host.get_by_text("No team has joined yet.")).to_be_visible()

    team = open_pinned(browser, proxied, "w1", f"/Room?join={code}")
    team.get_by_label("Team name").fill("Blue Herons")
    team.get_by_role("button", name="Join").click()
    expect(team.get_by_role("heading", name="Blue Herons")).to_be_visible()

    # The dashboard on w2 polls the store and shows the team that joined on w1.
    expect(host.get_by_text("1 team in the room")).to_be_visible()
    expect(host.get_by_text("Blue Herons")).to_be_visible()
    held = proxied.connections()
    assert held["w1"] >= 1 and held["w2"] >= 1, held
    host.context.close()
    team.context.close()


def get(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """(the worker that answered, the stickiness cookie the proxy set, if any)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        set_cookie = response.headers.get("Set-Cookie")
        return response.headers[WORKER_HEADER], set_cookie


def test_a_new_browser_is_given_a_worker_and_kept_on_it(proxied):
    worker, set_cookie = get(proxied.url + "/Room")
    assert set_cookie is not None and set_cookie.startswith(f"{COOKIE}={worker};")
    cookie = set_cookie.split(";", 1)[0]
    assert {get(proxied.url + "/_stcore/health", cookie)[0] for _ in range(6)} == {worker}


def _fetch(url: str, *, encoding: str) -> tuple[str, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Content-Encoding", "identity"), response.read()


def test_the_proxy_sends_the_pages_scripts_compressed(proxied):
    _, page = _fetch(proxied.url + "/", encoding="identity")
    script = re.search(rb'src="\.?/?(static/js/[^"]+\.js)"', page)
    assert script is not None, page[:500]
    url = f"{proxied.url}/{script.group(1).decode()}"
    plain_encoding, plain = _fetch(url, encoding="identity")
    encoding, packed = _fetch(url, encoding="gzip")
    assert plain_encoding == "identity" and encoding == "gzip"
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain) / 2  # a phone on the room's Wi-Fi loads a fraction


def test_a_session_whose_worker_died_is_served_by_the_other(proxied):
    w1 = proxied.workers[0]
    w1.popen.terminate()
    w1.popen.wait(timeout=15)
    try:
        assert get(proxied.url + "/_stcore/health", f"{COOKIE}=w1")[0] == "w2"
    finally:
        w1.start()  # leave the cluster as the module found it
