"""The inbox's files over real sockets: served from the package, nothing fetched from elsewhere."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from importlib import resources

import pytest

INBOX_FILES = ("index.html", "inbox.css", "inbox.js", "i18n.js", "favicon.svg")


def fetch(server, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(f"{server.url}{path}", timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read()


def test_the_inbox_page_and_its_assets_are_served(emulator):
    status, kind, body = fetch(emulator, "/_emulator/")
    assert status == 200 and kind.startswith("text/html") and b"inbox/inbox.js" in body
    for name, kind_prefix in (("inbox.css", "text/css"), ("inbox.js", "text/javascript"),
                              ("i18n.js", "text/javascript"), ("favicon.svg", "image/svg+xml")):
        status, kind, body = fetch(emulator, f"/_emulator/inbox/{name}")
        assert status == 200 and kind.startswith(kind_prefix) and body


def test_the_bare_prefix_redirects_to_the_inbox(emulator):
    status, kind, _ = fetch(emulator, "/_emulator")       # urllib follows the redirect
    assert status == 200 and kind.startswith("text/html")


@pytest.mark.parametrize("name", ["..%2Fapi.py", "index.html", "missing.js", "inbox.JS", ".hidden.css"])
def test_only_known_asset_names_are_served(emulator, name):
    status, kind, _ = fetch(emulator, f"/_emulator/inbox/{name}")
    assert status == 404 and kind.startswith("application/json")


@pytest.mark.parametrize("name", INBOX_FILES)
def test_the_inbox_needs_no_network(name):
    """No CDN, no web font, no external script: the inbox must work on a machine with only loopback."""
    text = (resources.files("emulator.admin") / "inbox" / name).read_text(encoding="utf-8")
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", text)
    assert not external, f"{name} loads something from elsewhere: {external}"


@pytest.mark.parametrize(("accept", "lang"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
    ("zh-TW", "zh-CN"),                       # the only Chinese the inbox has is Simplified
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
    ("fr-FR, zh;q=0.5, en;q=0.4", "zh-CN"),   # the first range it can serve, by quality
    ("en;q=0.2, zh-Hans;q=0.7", "zh-CN"),
    ("zh;q=0, en", "en"),                     # q=0: not acceptable
    ("de-DE", "en"),
    ("", "en"),
    (";;;q=x,,", "en"),                       # garbage is English, never an error
])
def test_the_page_language_follows_accept_language(emulator, accept, lang):
    req = urllib.request.Request(f"{emulator.url}/_emulator/", headers={"Accept-Language": accept})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
        assert resp.status == 200 and resp.headers["Vary"] == "Accept-Language"
    assert f'<html lang="{lang}">'.encode() in body
