"""The admin API answers the user's own tools, never whatever web page their browser happens to have open.

Two attacks need nothing but a browser on the user's machine:

* **Cross-site requests.** A page on any site can POST to `http://127.0.0.1:8767/_emulator/reset` with a
  "simple" request (a form or `text/plain` body, no preflight); the browser sends it and only hides the answer.
  So a state-changing request whose `Origin` is another site is refused (403), and so is a POST whose body is
  one of the content types a page can send without asking (`text/plain`, a form): the admin API takes JSON.
* **DNS rebinding.** A page on `evil.example` re-resolves its own name to 127.0.0.1 and reads the admin API as
  same-origin (accounts and their secrets). Its requests carry `Host: evil.example`, so the admin API refuses a
  `Host` it does not answer for (403): loopback names and any IP literal, names without a dot (Docker service
  names like `sms-emulator`), local-only suffixes (`.localhost`, `.local`, `.internal`), the providers' own
  hostnames (docker-compose aliases), `--host`, and whatever `--allowed-host` adds (`*` turns the check off).
  A rebinding attacker needs a public DNS name, which has a dot and none of those suffixes.

Provider requests (`/`) answer any `Host`: SDKs and proxies send all kinds, and they carry signatures.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from aiohttp import web

from emulator.admin.api import PREFIX, problem
from emulator.core.callbacks import ADMIN_TARGET, USER_AGENT
from emulator.protocols.fastpath import admin_only

#: Methods a page can make change nothing by the admin API's own rules (GET never changes state).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The content types of a CORS "simple" request: a page sends them cross-site without a preflight.
SIMPLE_CONTENT_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
#: Suffixes no public DNS name has: what they resolve to is the local network's own business.
LOCAL_SUFFIXES = (".localhost", ".local", ".internal")
ALLOWED_HOSTS_HELP = "--allowed-host NAME (SMS_EMULATOR_ALLOWED_HOSTS=a,b)"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _name(netloc: str) -> str:
    """The host of a `Host` header or an origin's netloc, without port, brackets or a final dot, lower-case."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1:].partition("]")[0]
    if netloc.count(":") > 1:
        return netloc              # a bare IPv6 address
    return netloc.partition(":")[0].rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _is_loopback(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class HostPolicy:
    """Which `Host` headers the admin API answers; see the module docstring for why these."""

    def __init__(self, names: Iterable[str]) -> None:
        exact: set[str] = set()
        suffixes: list[str] = []
        self.anything = False
        for raw in names:
            name = _name(raw)
            if name == "*":
                self.anything = True
            elif name.startswith("*."):
                suffixes.append(name[1:])
            elif name:
                exact.add(name)
        self.exact = frozenset(exact)
        self.suffixes = (*LOCAL_SUFFIXES, *suffixes)

    def answers_for(self, host_header: str | None) -> bool:
        if self.anything or not host_header:     # no Host at all: HTTP/1.0 tools, never a browser
            return True
        name = _name(host_header)
        return ("." not in name or name in self.exact or name.endswith(self.suffixes) or _is_ip(name)
                or _is_loopback(name))


def same_origin(origin: str, host_header: str | None) -> bool:
    """Whether `origin` is the emulator's own (the inbox) or a page served from this machine's loopback."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False                # `null` (sandboxed frames, file://) and anything odd
    if host_header and parts.netloc.lower() == host_header.strip().lower():
        return True
    return _is_loopback(_name(parts.netloc))


def refusal(request: web.Request, policy: HostPolicy) -> web.Response | None:
    """The 403/415 answer for a request the admin API must not act on, or None."""
    host = request.headers.get("Host")
    if not policy.answers_for(host):
        return problem(403, f"the admin API does not answer for Host {_name(host or '')[:100]!r} (a DNS-rebinding "
                            f"guard); to reach it by this name, start the emulator with {ALLOWED_HOSTS_HELP}")
    if request.method in SAFE_METHODS:
        return None
    if request.headers.get("User-Agent") == USER_AGENT:
        return problem(403, ADMIN_TARGET)
    origin = request.headers.get("Origin")
    if origin is not None and not same_origin(origin, host):
        return problem(403, f"cross-site request refused: Origin {origin[:100]!r} is not this emulator's; the admin "
                            "API acts only for its own inbox, loopback pages and tools that send no Origin")
    if request.method == "POST" and request.content_type in SIMPLE_CONTENT_TYPES:
        return problem(415, f"the admin API takes JSON bodies (Content-Type: application/json), not "
                            f"{request.content_type}: that is what a cross-site page can send; with curl, add "
                            "-H 'Content-Type: application/json'")
    return None


def setup_guard(app: web.Application, hosts: Iterable[str]) -> None:
    """Refuse cross-site and rebinding requests to `/_emulator/` (`hosts`: the names allowed besides the
    built-in ones)."""
    policy = HostPolicy(hosts)

    @admin_only
    @web.middleware
    async def guard_admin(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(PREFIX):
            refused = refusal(request, policy)
            if refused is not None:
                return refused
        return await handler(request)

    app.middlewares.append(guard_admin)
