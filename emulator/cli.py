"""`sms-emulator [serve]`, `sms-emulator validate FILE...`, `sms-emulator healthcheck`, `--version`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time

from emulator import __version__
from emulator.core.fixtures import FixtureError
from emulator.scenarios.loader import ScenarioError
from emulator.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sms-emulator", description="Local emulator of SMS provider APIs.")
    parser.add_argument("--version", action="version", version=f"sms-emulator {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the emulator (the default command)")
    _serve_args(serve)
    validate = sub.add_parser("validate", help="check scenario files; exit 1 on any error")
    validate.add_argument("files", nargs="+")
    return parser


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8767)")
    parser.add_argument("--fixtures", metavar="DIR", help="fixtures directory (default: built-in fixtures)")
    parser.add_argument("--scenario", metavar="FILE", help="scenario YAML (default: built-in default scenario)")
    parser.add_argument("--seed", type=int, help="make ids, codes and fake data repeatable")
    parser.add_argument("--store-cap", type=int, help="messages kept before the oldest are pruned")
    parser.add_argument("--quiet", action="store_true", default=None, help="no per-request log lines")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return _validate(args.files)
    try:
        settings = Settings.from_env().merge(host=args.host, port=args.port, fixtures=args.fixtures,
                                             scenario=args.scenario, seed=args.seed, store_cap=args.store_cap,
                                             quiet=args.quiet)
        return asyncio.run(_serve(settings))
    except (FixtureError, ScenarioError, ValueError, OSError) as exc:
        print(f"sms-emulator: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def _validate(files: list[str]) -> int:
    from emulator.scenarios.loader import load_scenario_file

    failed = False
    for file in files:
        try:
            load_scenario_file(file)
            print(f"{file}: ok")
        except ScenarioError as exc:
            failed = True
            print(str(exc), file=sys.stderr)
    return 1 if failed else 0


async def _serve(settings: Settings) -> int:
    from emulator.app import build_app, build_backend
    from emulator.server import start_site

    started = time.perf_counter()
    logging.basicConfig(level=logging.WARNING if settings.quiet else getattr(logging, settings.log_level.upper()),
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    backend = build_backend(settings)
    app = build_app(settings, backend)
    runner, port = await start_site(app, settings.host, settings.port)
    elapsed = (time.perf_counter() - started) * 1000
    account = backend.accounts.default()
    key, secret = next(iter(account.access_keys.items()), ("-", "-"))
    print(f"sms-emulator {__version__} listening on http://{settings.host}:{port} (ready in {elapsed:.0f} ms)\n"
          f"  Alibaba AccessKeyId {key} / AccessKeySecret {secret}\n"
          f"  sms.1oc.cn AppSecret {account.onecloud_secret}\n"
          f"  inspect: http://{settings.host}:{port}/_emulator/messages", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)   # docker stop sends SIGTERM: finish in-flight work, then exit
    try:
        await stop.wait()
        print("sms-emulator: shutting down", flush=True)
    finally:
        await runner.cleanup()
    return 0
