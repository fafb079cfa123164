"""Running the emulator: in the foreground (the CLI) or on a background thread (tests, the pytest plugin)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from emulator.app import TUNNEL_KEY, build_app, build_backend
from emulator.core.backend import Backend
from emulator.ops.connections import guard_connections
from emulator.ops.setup import TLS_KEY
from emulator.protocols.fastpath import fast_root
from emulator.settings import Settings

#: SendSms carries up to 1000 numbers in the query string (~14 KB), beyond aiohttp's default 8 KB request line.
MAX_LINE = 64 * 1024
#: How long a shutdown waits for a request in flight, then as long again once it is cancelled (aiohttp's default,
#: 60 s, is six times `docker stop`'s grace period). Scenario latency and hangs end at shutdown on their own.
SHUTDOWN_TIMEOUT = 3.0


class _ParseErrorFilter(logging.Filter):
    """Bytes that are not HTTP (control characters in headers, over-long lines) are refused by aiohttp's
    parser with a 400 before any handler runs. That is the client's fault, not ours: log one line, not a
    traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg, record.args, record.exc_info, record.levelno, record.levelname = (
                "refused malformed HTTP from a client: %s", (str(exc.message).splitlines()[0],), None,
                logging.WARNING, "WARNING")
        return True


logging.getLogger("aiohttp.server").addFilter(_ParseErrorFilter())


async def start_site(app: web.Application, host: str, port: int,
                     tls_port: int | None = None) -> tuple[web.AppRunner, int, int | None]:
    """Serve `app` on `port` (over HTTPS when it was built with TLS and no `tls_port`), and over HTTPS on
    `tls_port` too when one is given: one application, one state, one inbox on both. Returns the runner and
    the bound ports (the real ones when 0 was asked for)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, max_line_size=MAX_LINE,
                           max_field_size=MAX_LINE, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    assert runner.server is not None
    runner.server.request_handler = fast_root(app, runner.server.request_handler)   # SDK calls skip routing
    guard_connections(runner)    # bounded connections, the longest idle shed first; quiet accept errors
    tls = app.get(TLS_KEY)
    main = web.TCPSite(runner, host, port, reuse_address=True,
                       ssl_context=tls.context if tls and tls_port is None else None)
    extra = None if tls_port is None or tls is None else \
        web.TCPSite(runner, host, tls_port, reuse_address=True, ssl_context=tls.context)
    try:
        await main.start()
        if extra is not None:
            await extra.start()
    except BaseException:
        await runner.cleanup()      # the app started (scheduler, database): close it before failing
        raise
    bound, tls_bound = _bound(main, port), None if extra is None else _bound(extra, tls_port or 0)
    https = tls_bound if tls_bound is not None else bound if tls is not None else None
    if https is not None:
        app[TUNNEL_KEY].address = (_loopback(host), https)
    return runner, bound, tls_bound


def _loopback(host: str) -> str:
    """An address of this machine's listener that the process itself can connect to."""
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def _bound(site: web.TCPSite, asked: int) -> int:
    server = site._server  # the bound socket tells the real port when port=0
    return server.sockets[0].getsockname()[1] if server and server.sockets else asked


class EmulatorServer:
    """An emulator on its own event loop in a daemon thread; `start()` returns once it accepts requests."""

    def __init__(self, settings: Settings | None = None, backend: Backend | None = None) -> None:
        self.settings = (settings or Settings()).merge()
        self.backend = backend or build_backend(self.settings)
        self.port = self.settings.port
        #: the HTTPS port beside the plain one (`tls_port` in the settings), once started
        self.tls_port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def host(self) -> str:
        return self.settings.host

    @property
    def endpoint(self) -> str:
        """`host:port`, the form the Alibaba SDKs take as `endpoint`."""
        return f"{self.host}:{self.port}"

    @property
    def app(self) -> web.Application:
        """The running application (its state keys: the live feed's hub, metrics, ...); after `start()`."""
        assert self._runner is not None, "the server is not started"
        return self._runner.app

    @property
    def url(self) -> str:
        scheme = "https" if self.settings.main_tls else "http"
        return f"{scheme}://{self.endpoint}"

    @property
    def tls_url(self) -> str | None:
        """`https://host:tls_port` when the emulator also serves HTTPS beside plain HTTP."""
        return None if self.tls_port is None else f"https://{self.host}:{self.tls_port}"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._run, name="sms-emulator", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            app = build_app(self.settings, self.backend)
            self._runner, self.port, self.tls_port = loop.run_until_complete(
                start_site(app, self.host, self.settings.port, self.settings.tls_port))
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def call(self, fn: Callable[[], object]) -> object:
        """Run `fn` on the server's loop (state is only touched from there) and return its result."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(_as_coro(fn), self._loop)
        return future.result(timeout=30)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _as_coro(fn: Callable[[], object]) -> object:
    result = fn()
    if asyncio.iscoroutine(result):
        return await result
    return result
