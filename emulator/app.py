"""Builds the aiohttp application: every provider on `/`, the admin API under `/_emulator/`."""

from __future__ import annotations

import logging

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, setup_admin
from emulator.core.backend import Backend
from emulator.core.fixtures import load_fixtures
from emulator.protocols.aliyun.gateway import AliyunGateway
from emulator.providers import dysms
from emulator.scenarios.engine import ScenarioEngine
from emulator.scenarios.loader import default_scenario, load_scenario_file
from emulator.settings import Settings

log = logging.getLogger("sms_emulator")

GATEWAY_KEY: web.AppKey[AliyunGateway] = web.AppKey("aliyun_gateway", AliyunGateway)


def build_backend(settings: Settings) -> Backend:
    fixtures = load_fixtures(settings.fixtures)
    scenario = load_scenario_file(settings.scenario) if settings.scenario else default_scenario()
    return Backend(fixtures, ScenarioEngine(scenario), seed=settings.seed, store_cap=settings.store_cap)


def build_app(settings: Settings, backend: Backend | None = None) -> web.Application:
    backend = backend or build_backend(settings)
    app = web.Application(client_max_size=settings.max_body)
    app[BACKEND_KEY] = backend
    aliyun = AliyunGateway(backend, [dysms.build()])
    app[GATEWAY_KEY] = aliyun
    setup_admin(app)

    async def root(request: web.Request) -> web.StreamResponse:
        return await aliyun.handle(request)

    app.router.add_route("*", "/", root)

    async def start_jobs(app: web.Application) -> None:
        backend.scheduler.start()

    async def stop_jobs(app: web.Application) -> None:
        await backend.scheduler.stop()

    app.on_startup.append(start_jobs)
    app.on_cleanup.append(stop_jobs)
    return app
