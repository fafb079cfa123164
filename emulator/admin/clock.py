"""The virtual clock over HTTP: read it, move it forward, or pin it to a moment.

* `GET /_emulator/clock` - `{"now", "now_iso", "china_time", "offset", "wall"}`;
* `POST /_emulator/clock/advance` `{"seconds": N}` - forward by N seconds;
* `POST /_emulator/clock/set` `{"time": epoch seconds | ISO 8601}` - jump to a moment (either direction; an ISO
  time without an offset is UTC).

Both moves answer only after everything due by the new time (deliveries, reports and their retries) has run,
so the next request of a test already sees delivered messages and received reports: no sleeping. The clock
stops at each due time on the way, so one jump of ten minutes stamps deliveries and retries exactly as many
small steps would.
"""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from emulator.admin.api import BACKEND_KEY, PREFIX, json_object, problem, reply
from emulator.core.backend import Backend
from emulator.core.clock import china_time_str, iso_utc

#: Dates must stay printable (China-time formatting, SendDate) and arithmetic finite.
MAX_ADVANCE = 100 * 365 * 86400.0
LATEST = datetime(9999, 1, 1, tzinfo=timezone.utc).timestamp()


def _state(backend: Backend) -> dict[str, object]:
    now = backend.clock.now()
    return {"now": now, "now_iso": iso_utc(now), "china_time": china_time_str(now),
            "offset": backend.clock.offset, "wall": backend.clock.wall()}


async def _move_to(backend: Backend, target: float) -> int:
    """Step the clock to `target` through every due time between (see `Scheduler.step_to`); after each
    step the reports (and retries) due by then are sent and answered, so they are stamped with that time."""
    return await backend.scheduler.step_to(target, settle=backend.callbacks.drain)


async def get_clock(request: web.Request) -> web.Response:
    return reply(_state(request.app[BACKEND_KEY]))


async def advance_clock(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    seconds = (await json_object(request)).get("seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds <= MAX_ADVANCE:
        return problem(400, f'body must be {{"seconds": N}} with 0 <= N <= {MAX_ADVANCE:.0f} (100 years)')
    if backend.clock.now() + seconds > LATEST:     # the body is fine; where the clock stands is not
        return problem(409, "advancing that far from where the clock stands would pass the year 9999")
    offset = backend.clock.offset + float(seconds)
    jobs_run = await _move_to(backend, backend.clock.now() + float(seconds))
    # Stepping took some wall time, which `set` took out of the offset: an advance of N moves it by exactly N.
    if backend.clock.offset < offset:
        backend.clock.advance(offset - backend.clock.offset)
    return reply({**_state(backend), "jobs_run": jobs_run})


async def set_clock(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    try:
        moment = parse_moment((await json_object(request)).get("time"))
    except ValueError as exc:
        return problem(400, str(exc))
    jobs_run = await _move_to(backend, moment)
    return reply({**_state(backend), "jobs_run": jobs_run})


def parse_moment(value: object) -> float:
    """Epoch seconds from a number or an ISO 8601 string (`Z` and offsets honoured, none means UTC)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 0 <= value <= LATEST:
            raise ValueError("time must lie between 1970 and 9999 (epoch seconds)")
        return float(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text[-1] in "zZ":
            text = text[:-1] + "+00:00"   # fromisoformat takes `Z` only from Python 3.11 on
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"time {value[:40]!r} is not ISO 8601 (e.g. 2030-01-01T08:00:00+08:00)") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parse_moment(parsed.timestamp())
    raise ValueError('body must be {"time": epoch seconds or an ISO 8601 string}')


def setup_clock(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/clock", get_clock)
    app.router.add_post(f"{PREFIX}/clock/advance", advance_clock)
    app.router.add_post(f"{PREFIX}/clock/set", set_clock)
