"""Builds the aiohttp application: every provider on `/`, the admin API under `/_emulator/`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, problem, setup_admin
from emulator.admin.callbacks import setup_callbacks_admin
from emulator.admin.guard import setup_guard
from emulator.admin.scenario_api import setup_scenario_admin
from emulator.admin.surface import setup_surface
from emulator.core.backend import Backend
from emulator.core.fixtures import load_fixtures
from emulator.ops.setup import setup_ops
from emulator.protocols.aliyun.gateway import AliyunGateway
from emulator.protocols.faults import setup_draining
from emulator.protocols.proxy import TunnelTarget, install_connect
from emulator.providers import dypns, dysms, onecloud
from emulator.providers.dypns import receipts as dypns_receipts
from emulator.providers.dysms import receipts as dysms_receipts
from emulator.providers.dysms import review_reports
from emulator.scenarios.runtime import build_engine
from emulator.settings import Settings

log = logging.getLogger("sms_emulator")

GATEWAY_KEY: web.AppKey[AliyunGateway] = web.AppKey("aliyun_gateway", AliyunGateway)
#: Where a CONNECT for a provider's hostname is relayed (the server fills it in once its HTTPS port is bound).
TUNNEL_KEY: web.AppKey[TunnelTarget] = web.AppKey("tunnel", TunnelTarget)


def build_backend(settings: Settings) -> Backend:
    fixtures = load_fixtures(settings.fixtures)
    engine = build_engine(settings.scenario, settings.seed, fixtures)
    backend = Backend(fixtures, engine, seed=settings.seed, store_cap=settings.store_cap,
                      store_bytes=settings.store_mb * 1024 * 1024, callback_ca=settings.callback_ca)
    engine.attach(backend)
    return backend


def _path_matches(resource: web.AbstractResource | None, path: str) -> bool:
    """Whether an admin route covers `path`, by aiohttp's own pattern (`/_emulator/messages/{id:\\d+}`)."""
    if resource is None or not resource.canonical.startswith(PREFIX) or "{tail" in resource.canonical:
        return False
    info = resource.get_info()
    if "pattern" in info:
        return info["pattern"].fullmatch(path) is not None
    return info.get("path") == path


def build_app(settings: Settings, backend: Backend | None = None) -> web.Application:
    backend = backend or build_backend(settings)
    app = web.Application(client_max_size=settings.max_body)
    app[BACKEND_KEY] = backend
    aliyun = AliyunGateway(backend, [dysms.build(), dypns.build()])
    app[GATEWAY_KEY] = aliyun
    # Outermost: cross-site and DNS-rebinding requests to the admin API are refused before anything runs.
    setup_guard(app, [*settings.admin_hosts(), *(p.host for p in aliyun.products), onecloud.HOST])
    setup_draining(app)     # SIGTERM ends scenario latency and hangs: the process exits in seconds
    setup_admin(app)
    setup_callbacks_admin(app)
    setup_scenario_admin(app, settings.scenario)   # GET/PUT/DELETE /_emulator/scenario, hot reload of the file
    setup_surface(app)      # inspection API, accounts, clock, live feed, OpenAPI document, inbox
    onecloud_gateway = onecloud.build(backend)
    dysms_receipts.install(backend)
    review_reports.install(backend)     # TemplateSmsReport, SignSmsReport when a review ends
    dypns_receipts.install(backend)
    observed = setup_ops(app, settings, backend)   # metrics, request log, TLS, --db state: before catch-alls

    @observed
    def root(request: web.Request) -> Awaitable[web.StreamResponse]:
        # Cheap dispatch on every request: Alibaba names its action, 1oc its module (or is called by host). It
        # hands over the chosen gateway's coroutine rather than awaiting it: one coroutine layer less per request.
        query = request.query
        if "x-acs-action" in request.headers or "Action" in query:
            return aliyun.handle(request)
        if "module" in query or request.headers.get("Host", "").lower().startswith(onecloud.HOST):
            return onecloud_gateway.handle(request)
        return aliyun.handle(request)

    app.router.add_route("*", "/", root)

    async def unknown_admin(request: web.Request) -> web.Response:
        allowed = sorted({route.method for route in request.app.router.routes()
                          if route.method != "*" and _path_matches(route.resource, request.path)})
        if allowed and request.method not in allowed:
            response = problem(405, f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}")
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return problem(404, f"no admin endpoint {request.method} {request.path}; see {PREFIX}/openapi.json")

    # Registered last: the admin API's own routes win; any other path is a provider request gone astray and
    # gets that provider's own error shape rather than aiohttp's plain-text 404.
    app.router.add_route("*", PREFIX, unknown_admin)
    # `[\s\S]*`, not `.*`: a path with an encoded newline must land here too, not in aiohttp's text/plain 404.
    app.router.add_route("*", PREFIX + r"/{tail:[\s\S]*}", unknown_admin)
    app.router.add_route("*", r"/{tail:[\s\S]*}", root)
    app[TUNNEL_KEY] = TunnelTarget()
    install_connect(app, app[TUNNEL_KEY])     # HTTPS_PROXY: CONNECT to the providers' hostnames only

    async def start_jobs(app: web.Application) -> None:
        backend.scheduler.start()

    async def stop_jobs(app: web.Application) -> None:
        await backend.scheduler.stop()

    app.on_startup.append(start_jobs)
    app.on_cleanup.append(stop_jobs)

    async def finish_callbacks(app: web.Application) -> None:
        await backend.callbacks.close()   # after the scheduler stopped: reports in flight still complete

    app.on_cleanup.append(finish_callbacks)
    return app
