"""The providers' entry point served without aiohttp's per-request routing, for the requests the SDKs send.

Every SDK call is a request for `/` (the action is in a header or the query). aiohttp would resolve that path
against the whole router, build a match-info object, and run every middleware, each of which only looks at
admin paths (`/_emulator/...`) and hands a provider request straight on. This dispatcher gives a request for
`/` exactly what that chain would: the application's root route handler, with `request.app` and
`request.match_info` as routing would set them, from one match-info object resolved once at start. Anything
else (another path, an `Expect` header that aiohttp's route answers with `100 Continue`) takes aiohttp's full
path unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from aiohttp.web_urldispatcher import UrlMappingMatchInfo

Dispatch = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def fast_root(app: web.Application, full: Dispatch) -> Dispatch:
    """A request handler for aiohttp's `Server`: `/` straight to `app`'s route for it, the rest to `full`
    (`app._handle`). `app` must be frozen (started), so its routes and middlewares no longer change."""
    route = _root_route(app)
    if route is None or any(not _admin_only(m) for m in app.middlewares):
        return full
    resolved = UrlMappingMatchInfo({}, route)
    resolved.add_app(app)
    resolved.freeze()
    handler = route.handler

    def dispatch(request: web.BaseRequest) -> Awaitable[web.StreamResponse]:
        if request.path != "/" or hdrs.EXPECT in request.headers:
            return full(request)
        request._match_info = resolved      # what routing sets: `request.app` and `match_info` read it
        return handler(request)

    return dispatch


def _root_route(app: web.Application) -> web.AbstractRoute | None:
    for resource in app.router.resources():
        if resource.canonical == "/":
            routes = list(resource)
            if len(routes) == 1 and routes[0].method == hdrs.METH_ANY:
                return routes[0]
    return None


#: Marked on a middleware that hands every request outside `/_emulator/` straight to the next handler.
ADMIN_ONLY = "_sms_emulator_admin_only"


def admin_only(middleware: Callable) -> Callable:
    """Mark `middleware` as one that provider requests pass through untouched (the fast path may skip it)."""
    setattr(middleware, ADMIN_ONLY, True)
    return middleware


def _admin_only(middleware: object) -> bool:
    return getattr(middleware, ADMIN_ONLY, False) is True
