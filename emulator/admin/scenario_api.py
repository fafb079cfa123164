"""The scenario at run time: inspect it, swap it, and follow the `--scenario` file as it is edited.

* `GET /_emulator/scenario` - the loaded scenario (as written), where it came from, and per rule how many
  calls met its conditions (`calls`) and how many it applied to (`applied`); `?format=yaml` gives the text;
* `PUT /_emulator/scenario` - replace it with the YAML or JSON body; 400 with one line per problem (and the old
  scenario kept) when the body is not a valid scenario;
* `DELETE /_emulator/scenario` - back to the startup scenario (the `--scenario` file, or the built-in default).

The `--scenario` file is polled about once a second: a change loads it (fresh counters), a broken edit keeps
the scenario in force and logs why. Reading and checking a scenario runs in a worker thread (a large one takes
seconds of CPU), so requests keep being answered meanwhile; the swap itself happens on the loop.
Polling rather than inotify keeps this portable and dependency-free; a second is well below the time a
person takes to switch from editor to test run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, problem, read_body
from emulator.core.backend import Backend
from emulator.scenarios.engine import ScenarioEngine
from emulator.scenarios.loader import ScenarioError, load_scenario_file, parse_scenario_body
from emulator.scenarios.runtime import load_options, startup_scenario

log = logging.getLogger("sms_emulator.scenario")

POLL_SECONDS = 1.0
PUT_SOURCE = "<PUT /_emulator/scenario>"
STARTUP_KEY: web.AppKey[str] = web.AppKey("scenario_file", str)


def _engine(request: web.Request) -> tuple[Backend, ScenarioEngine]:
    backend = request.app[BACKEND_KEY]
    if not isinstance(backend.policy, ScenarioEngine):
        raise web.HTTPNotImplemented(text='{"error": "this emulator does not run the scenario engine"}',
                                     content_type="application/json")
    return backend, backend.policy


async def get_scenario(request: web.Request) -> web.StreamResponse:
    _, engine = _engine(request)
    wanted = request.query.get("format", "json")
    if wanted not in ("json", "yaml"):
        return problem(400, "format must be json (the default) or yaml")
    if wanted == "yaml":
        return web.Response(text=engine.scenario.text, content_type="application/yaml", charset="utf-8")
    return web.json_response({**engine.state(), "document": engine.scenario.document})


async def put_scenario(request: web.Request) -> web.Response:
    backend, engine = _engine(request)
    raw = await read_body(request)
    if not raw.strip():
        return problem(400, "the body is empty; expected a scenario in YAML or JSON")
    try:   # off the loop: checking a large scenario takes seconds of CPU, and requests keep being answered
        scenario = await asyncio.to_thread(parse_scenario_body, raw, request.content_type, PUT_SOURCE,
                                           **load_options(backend))
    except ScenarioError as exc:
        return web.json_response({"error": f"not a valid scenario ({len(exc.problems)} problem(s))",
                                  "problems": exc.problems}, status=400)
    engine.load(scenario)
    log.info("scenario %r loaded from PUT (%d rules)", scenario.name, len(scenario.rules))
    return web.json_response({"loaded": scenario.name, "rules": len(scenario.rules), "source": scenario.source})


async def delete_scenario(request: web.Request) -> web.Response:
    backend, engine = _engine(request)
    path = request.app[STARTUP_KEY] or None
    try:
        scenario = await asyncio.to_thread(startup_scenario, path, **load_options(backend))
    except ScenarioError as exc:   # the file was broken since: keep what runs, say why
        return web.json_response({"error": "the startup scenario no longer loads", "problems": exc.problems},
                                 status=409)
    engine.load(scenario)
    return web.json_response({"loaded": scenario.name, "rules": len(scenario.rules), "source": scenario.source})


# Hot reload --------------------------------------------------------------------------------------------------


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


async def watch(backend: Backend, engine: ScenarioEngine, path: Path, interval: float | None = None) -> None:
    """Reload `path` whenever its mtime or size changes; a scenario with problems leaves the old one in force."""
    seen = _signature(path)
    while True:
        await asyncio.sleep(interval or POLL_SECONDS)
        current = _signature(path)
        if current == seen or current is None:
            continue     # unchanged, or gone for a moment (editors that save by rename)
        seen = current
        try:
            scenario = await asyncio.to_thread(load_scenario_file, path, **load_options(backend))
        except ScenarioError as exc:
            log.warning("%s changed but is not a valid scenario; keeping %r:\n%s", path, engine.scenario.name,
                        exc)
            continue
        except Exception:   # a bug must not end the watching: later edits would be ignored without a word
            log.exception("%s changed but could not be read; keeping %r", path, engine.scenario.name)
            continue
        engine.load(scenario)
        log.warning("%s changed: scenario %r reloaded (%d rules)", path, scenario.name, len(scenario.rules))


def setup_scenario_admin(app: web.Application, scenario_file: str | None) -> None:
    app[STARTUP_KEY] = scenario_file or ""
    app.router.add_get(f"{PREFIX}/scenario", get_scenario)
    app.router.add_put(f"{PREFIX}/scenario", put_scenario)
    app.router.add_delete(f"{PREFIX}/scenario", delete_scenario)
    if not scenario_file:
        return
    tasks: list[asyncio.Task[None]] = []   # the app is frozen by startup: keep the task here, not in app state

    async def start_watch(app: web.Application) -> None:
        backend = app[BACKEND_KEY]
        if isinstance(backend.policy, ScenarioEngine):
            tasks.append(asyncio.get_running_loop().create_task(watch(backend, backend.policy, Path(scenario_file))))

    async def stop_watch(app: web.Application) -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        tasks.clear()

    app.on_startup.append(start_watch)
    app.on_cleanup.append(stop_watch)
