"""Attaching the operations layer to an application: metrics, request log, TLS material, persistence.

The providers' entry point is wrapped (`setup_ops` returns the wrapper): it times each provider request, reads
the `Outcome` the gateway noted and feeds the request log and the metrics, and with `--db` commits the state
before the answer leaves (see `emulator.ops.persist`). A wrapper, not an aiohttp middleware: a middleware
adds two coroutine layers to every request, a tenth of a signed SendSms. With `--db` a middleware commits
admin requests too. Call `setup_ops` before the admin API's catch-all route is registered, so the
`/_emulator/metrics` and `/_emulator/ca.pem` routes win.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from time import perf_counter

from aiohttp import web

from emulator.admin.api import PREFIX, problem
from emulator.core.backend import Backend
from emulator.core.persistence import StoreFailing
from emulator.ops.metrics import Metrics
from emulator.ops.outcome import OUTCOME_KEY, Outcome
from emulator.ops.persist import DurableState
from emulator.ops.tls_material import TlsMaterial
from emulator.protocols.fastpath import admin_only
from emulator.settings import Settings

log = logging.getLogger("sms_emulator.requests")

METRICS_KEY: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
TLS_KEY: web.AppKey[TlsMaterial] = web.AppKey("tls", TlsMaterial)
DURABLE_KEY: web.AppKey[DurableState] = web.AppKey("durable", DurableState)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def setup_ops(app: web.Application, settings: Settings, backend: Backend) -> Callable[[Handler], Handler]:
    """Metrics, TLS and `--db` for `app`; returns the wrapper for the providers' entry point."""
    if settings.any_tls:
        from emulator.ops.tls import prepare_tls  # here: `cryptography` costs every plain start ~25 ms

        app[TLS_KEY] = prepare_tls(settings.host, settings.cert, settings.key, settings.ca_out, settings.db)
    metrics = app[METRICS_KEY] = Metrics(backend)
    durable = None
    if settings.db:
        durable = app[DURABLE_KEY] = DurableState(backend, settings.db)

        async def start_flushing(app: web.Application) -> None:
            durable.start()

        async def persist_on_exit(app: web.Application) -> None:
            # Registered before the app's own cleanup handlers: it stops the scheduler and waits for the
            # reports in flight itself (both are idempotent), so the last write sees the final queue.
            await durable.close()

        app.on_startup.append(start_flushing)
        app.on_cleanup.append(persist_on_exit)
        app.middlewares.append(_admin_commits(durable))

    app.router.add_get(f"{PREFIX}/metrics", _metrics)
    app.router.add_get(f"{PREFIX}/ca.pem", _ca_pem)
    return _provider_entry(metrics, durable)


def _provider_entry(metrics: Metrics, durable: DurableState | None) -> Callable[[Handler], Handler]:
    info = logging.INFO

    def wrap(handler: Handler) -> Handler:
        async def observed(request: web.Request) -> web.StreamResponse:
            started = perf_counter()
            response = await handler(request)
            if durable is not None:
                # The gateways commit before answering success (Backend.committed); this catches what an
                # error answer changed (a limit window). Its failure changes no answer: nothing was acknowledged.
                with contextlib.suppress(StoreFailing):
                    await durable.committed()
            outcome = request.get(OUTCOME_KEY)
            if outcome is not None:
                seconds = perf_counter() - started
                metrics.observe_request(outcome.provider, outcome.action, outcome.code, seconds)
                if log.isEnabledFor(info):
                    _log_request(outcome, seconds)
            return response

        return observed

    return wrap


def _admin_commits(durable: DurableState) -> Callable[..., Awaitable[web.StreamResponse]]:
    """With `--db`, an admin request's changes are committed before its answer, like a provider request's."""

    @admin_only
    @web.middleware
    async def commit_admin(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(PREFIX):
            return await handler(request)         # the provider entry point commits for itself
        response = await handler(request)
        try:
            await durable.committed()
        except StoreFailing as exc:
            if request.method in ("GET", "HEAD"):
                return response         # a read acknowledges no change (and health reports the failure)
            return problem(503, f"the state database cannot be written, so this change is not kept: {exc}")
        return response

    return commit_admin


def _log_request(outcome: Outcome, seconds: float) -> None:
    phones = outcome.phones
    who = (",".join(phones[:3]) + (f",+{len(phones) - 3}" if len(phones) > 3 else "")) if phones else "-"
    ms = seconds * 1000
    detail = outcome.detail
    log.info("%s %s %s -> %s%s %.1f ms", outcome.provider, outcome.action, who, outcome.code,
             f" ({detail})" if detail else "", ms,
             extra={"provider": outcome.provider, "action": outcome.action, "phone": who, "outcome": outcome.code,
                    "detail": detail, "request_id": outcome.request_id, "latency_ms": round(ms, 3)})


async def _metrics(request: web.Request) -> web.Response:
    metrics = request.app[METRICS_KEY]
    return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})


async def _ca_pem(request: web.Request) -> web.Response:
    material = request.app.get(TLS_KEY)
    if material is None:
        return problem(404, "TLS is off: start the emulator with --tls (or --cert/--key) to get a CA to trust")
    return web.Response(body=material.ca_pem, content_type="application/x-pem-file")
