"""Files the package ships for people and tools: the OpenAPI document and the web inbox.

* `GET /_emulator/openapi.json` - the admin API's OpenAPI 3.1 document (`emulator/admin/openapi.json`);
* `GET /_emulator/` - the inbox page; `GET /_emulator/inbox/{file}` - its CSS and JavaScript.

The page's `<html lang>` follows `Accept-Language` (Chinese or English), so the first paint already uses the
right fonts; the words themselves are chosen in the browser by `inbox/i18n.js`, by the same rule.

The inbox is plain files with no build step and no CDN, read from the installed package, so it works offline
and in the wheel exactly as in a checkout. It talks only to the public inspection API.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from aiohttp import web

from emulator.admin.api import PREFIX, problem

_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml",
          ".json": "application/json"}
#: A bare file name with a known extension: nothing can climb out of the inbox folder.
_ASSET = re.compile(r"[a-z0-9][a-z0-9_-]*\.(?:css|js|svg)")
_QUALITY = re.compile(r";\s*q\s*=\s*([01](?:\.\d{0,3})?)")
_ENGLISH_PAGE = b'<html lang="en">'


@lru_cache(maxsize=32)
def _read(*parts: str) -> bytes | None:
    node = resources.files("emulator.admin")
    for part in parts:
        node = node / part
    try:
        return node.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _file(parts: tuple[str, ...], name: str) -> web.Response:
    body = _read(*parts)
    if body is None:
        return problem(404, f"no file {name}")
    suffix = name[name.rfind("."):]
    # no-cache: a browser revalidates, so an upgraded emulator never runs yesterday's script.
    return web.Response(body=body, content_type=_TYPES[suffix], charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


async def openapi(request: web.Request) -> web.Response:
    return _file(("openapi.json",), "openapi.json")


def page_language(accept_language: str) -> str:
    """`zh-CN` when Accept-Language's most wanted English or Chinese range is Chinese (any zh-*: the inbox's
    only Chinese is Simplified), else `en`: i18n.js's rule, with q-values (ties keep the header's order)."""
    ranked = []
    for order, item in enumerate(accept_language.split(",")[:32]):
        tag = item.split(";")[0].strip().lower()
        quality = _QUALITY.search(item)
        ranked.append((-float(quality.group(1)) if quality else -1.0, order, tag.split("-")[0]))
    for quality, _, primary in sorted(ranked):
        if quality < 0 and primary in ("zh", "en"):
            return "zh-CN" if primary == "zh" else "en"
    return "en"


async def inbox_page(request: web.Request) -> web.Response:
    response = _file(("inbox", "index.html"), "index.html")
    lang = page_language(request.headers.get("Accept-Language", ""))
    if lang != "en" and isinstance(response.body, bytes):
        response.body = response.body.replace(_ENGLISH_PAGE, f'<html lang="{lang}">'.encode(), 1)
    response.headers["Vary"] = "Accept-Language"
    return response


async def inbox_asset(request: web.Request) -> web.Response:
    name = request.match_info["file"]
    if not _ASSET.fullmatch(name):
        return problem(404, f"no inbox file {name[:64]!r}")
    return _file(("inbox", name), name)


async def to_inbox(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"{PREFIX}/")


def setup_static(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/openapi.json", openapi)
    app.router.add_get(f"{PREFIX}/", inbox_page)
    app.router.add_get(PREFIX, to_inbox)
    app.router.add_get(f"{PREFIX}/inbox/{{file}}", inbox_asset)
