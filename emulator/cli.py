"""`sms-emulator [serve]`, `sms-emulator validate FILE...`, `sms-emulator healthcheck`, `--version`."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import signal
import sqlite3
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from emulator import __version__
from emulator.core.fixtures import FixtureError
from emulator.core.persistence import PersistenceError
from emulator.ops.tls_material import TlsError
from emulator.scenarios.loader import ScenarioError
from emulator.settings import LOOPS, Settings

#: Problems with the configuration: reported at start in one line, exit status 2.
CONFIG_ERRORS = (FixtureError, ScenarioError, PersistenceError, TlsError, sqlite3.Error, ValueError, OSError)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sms-emulator", description="Local emulator of SMS provider APIs.")
    parser.add_argument("--version", action="version", version=f"sms-emulator {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the emulator (the default command)")
    _serve_args(serve)
    validate = sub.add_parser("validate", help="check scenario files; exit 1 on any error")
    validate.add_argument("files", nargs="+")
    validate.add_argument("--seed", type=int, help="check as for a server started with --seed (allows probability)")
    validate.add_argument("--fixtures", metavar="DIR", help="the fixtures whose accounts `accounts:` may name")
    health = sub.add_parser("healthcheck", help="exit 0 if the emulator answers /_emulator/health (the image's "
                                                "HEALTHCHECK); reads the same SMS_EMULATOR_* settings as serve")
    health.add_argument("--host", help="where the emulator listens (0.0.0.0 is asked on 127.0.0.1)")
    health.add_argument("--port", type=int)
    health.add_argument("--tls", action="store_true", default=None, help="the emulator serves HTTPS")
    health.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for the answer")
    return parser


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8767)")
    parser.add_argument("--fixtures", metavar="DIR", help="fixtures directory (default: built-in fixtures)")
    parser.add_argument("--scenario", metavar="FILE", help="scenario YAML (default: built-in default scenario)")
    parser.add_argument("--seed", type=int, help="make ids, codes and fake data repeatable")
    parser.add_argument("--store-cap", type=int, help="messages kept before the oldest are pruned (default 100000)")
    parser.add_argument("--store-mb", type=int, metavar="MIB",
                        help="MiB the stored messages may hold before the oldest are pruned (default 256)")
    parser.add_argument("--max-body", type=int, metavar="BYTES",
                        help="larger request bodies are refused in the provider's error shape (default 1 MiB)")
    parser.add_argument("--loop", choices=LOOPS,
                        help="the event loop (default asyncio; uvloop: pip install 'sms-emulator[speed]')")
    parser.add_argument("--quiet", action="store_true", default=None, help="no per-request log lines")
    parser.add_argument("--log-format", choices=("text", "json"), help="json: one JSON object per line on stdout")
    parser.add_argument("--tls", action="store_true", default=None,
                        help="serve HTTPS; the certificate is made at start by a local CA (see --ca-out)")
    parser.add_argument("--tls-port", type=int, metavar="PORT",
                        help="also serve HTTPS on this port, beside plain HTTP on --port (one state, one inbox); "
                             "the certificate as with --tls, or --cert/--key")
    parser.add_argument("--cert", metavar="PEM", help="serve HTTPS with this certificate (chain) instead")
    parser.add_argument("--key", metavar="PEM", help="the private key of --cert")
    parser.add_argument("--ca-out", metavar="FILE", help="write the generated CA here (default: next to --db, "
                                                         "else a temporary directory); also at /_emulator/ca.pem")
    parser.add_argument("--callback-ca", metavar="PEM",
                        help="also trust these CAs for HTTPS report receivers (a test receiver's own CA)")
    parser.add_argument("--allowed-host", metavar="NAME", action="append",
                        help="a Host name the admin API answers for besides loopback, IP literals, names without a "
                             "dot and the providers' (a DNS-rebinding guard); repeatable, *.example.com, * for any")
    parser.add_argument("--db", metavar="FILE", help="keep state (messages, accounts, codes, report queue, clock) "
                                                     "in this SQLite file across restarts")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return _validate(args.files, args.seed, args.fixtures)
    try:
        if args.command == "healthcheck":
            from emulator.ops import healthcheck

            settings = Settings.from_env().merge(host=args.host, port=args.port, tls=args.tls)
            return healthcheck.run(settings, args.timeout)
        settings = Settings.from_env().merge(host=args.host, port=args.port, fixtures=args.fixtures,
                                             scenario=args.scenario, seed=args.seed, store_cap=args.store_cap,
                                             store_mb=args.store_mb, loop=args.loop,
                                             max_body=args.max_body, callback_ca=args.callback_ca,
                                             quiet=args.quiet, log_format=args.log_format, tls=args.tls,
                                             tls_port=args.tls_port, cert=args.cert, key=args.key,
                                             ca_out=args.ca_out, db=args.db,
                                             allowed_hosts=",".join(args.allowed_host) if args.allowed_host else None)
        return run_on_loop(lambda: _serve(settings), settings.loop)
    except CONFIG_ERRORS as exc:
        print(f"sms-emulator: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def run_on_loop(main: Callable[[], Coroutine[Any, Any, int]], loop: str) -> int:
    """`asyncio.run(main())` on the chosen event loop: uvloop when asked for and installed (else one line, exit 2)."""
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise ValueError("--loop uvloop needs uvloop: pip install 'sms-emulator[speed]' (or uvloop)") from None
        return uvloop.run(main())
    return asyncio.run(main())


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, sqlite3.Error):
        return f"database: {exc}"
    return str(exc)


def _validate(files: list[str], seed: int | None, fixtures: str | None) -> int:
    from emulator.scenarios.validate_cli import validate_files

    return validate_files(files, seed, fixtures)


async def _serve(settings: Settings) -> int:
    from emulator.app import build_app, build_backend
    from emulator.ops import logs
    from emulator.ops.setup import DURABLE_KEY, TLS_KEY
    from emulator.server import start_site

    started = time.perf_counter()
    logs.configure(settings.log_level, settings.log_format, settings.quiet)
    backend = build_backend(settings)
    app = build_app(settings, backend)
    try:
        runner, port, tls_port = await start_site(app, settings.host, settings.port, settings.tls_port)
    except OSError as exc:
        ports = f"{settings.port}" + (f" and {settings.tls_port}" if settings.tls_port is not None else "")
        flags = "--port" if settings.tls_port is None else "--port / --tls-port"
        if exc.errno == errno.EADDRINUSE:
            raise OSError(f"cannot listen on {settings.host}:{ports}: the address is already in use "
                          f"(another emulator? choose another {flags})") from None
        raise OSError(f"cannot listen on {settings.host}:{ports}: {exc.strerror or exc}") from None
    elapsed = (time.perf_counter() - started) * 1000
    # This process is the emulator's alone, and what start-up built (modules, fixtures, the application)
    # lives until it exits: take it out of the cyclic collector's sight, or every full collection under
    # load walks it all again (tens of milliseconds each, the tail of the latency distribution).
    gc.collect()
    gc.freeze()
    account = backend.accounts.default()
    key, secret = next(iter(account.access_keys.items()), ("-", "-"))
    tls, durable = app.get(TLS_KEY), app.get(DURABLE_KEY)
    url = f"{'https' if settings.main_tls else 'http'}://{settings.host}:{port}"
    tls_url = f"https://{settings.host}:{tls_port}" if tls_port is not None else None
    if settings.log_format == "json":
        logs.emit_json("listening", version=__version__, url=url, tls_url=tls_url, ready_ms=round(elapsed),
                       access_key_id=key,
                       ca=str(tls.ca_path) if tls and tls.ca_path else None, db=settings.db,
                       restored=durable.restored if durable else None)
    else:
        extra = ""
        if tls_url is not None:
            extra += f"\n  also HTTPS on {tls_url}"
        if tls is not None:
            extra += f"\n  TLS: trust {tls.ca_path or settings.cert} (also at {url}/_emulator/ca.pem)"
        if durable is not None:
            restored = ", ".join(f"{n} {k}" for k, n in durable.restored.items() if n) or "nothing yet"
            extra += f"\n  state: {settings.db} (restored {restored})"
        print(f"sms-emulator {__version__} listening on {url} (ready in {elapsed:.0f} ms)\n"
              f"  Alibaba AccessKeyId {key} / AccessKeySecret {secret}\n"
              f"  sms.1oc.cn AppSecret {account.onecloud_secret}\n"
              f"  inspect: {url}/_emulator/messages{extra}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)   # docker stop sends SIGTERM: finish in-flight work, then exit
    try:
        await stop.wait()
        if settings.log_format == "json":
            logs.emit_json("shutting down")
        else:
            print("sms-emulator: shutting down", flush=True)
    finally:
        # Stops accepting, lets requests in flight finish, then the app's cleanup: the scheduler stops, reports
        # in flight are answered, and with --db the final state (the queue included) is committed.
        await runner.cleanup()
    return 0

