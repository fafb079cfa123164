"""Benchmark: the emulator against a bare aiohttp handler, in the same run, on the same machine.

    python bench/run.py                 # every workload, c=1 and c=50, 8 s each, then memory and start-up
    python bench/run.py --duration 3 --workload "SendSms ACS3" --skip-memory

Each measurement starts a fresh server pinned to CPU 0 and drives it with wrk pinned to CPU 1 (so the load
generator never competes for the server's core). wrk replays pre-signed requests, each sent once, so every
request pays for full signature verification, nonce bookkeeping, validation, storage and delivery scheduling.
Each server answers a short warm-up first (imports and caches that the first requests fill are not what a
benchmark should time). A run that used up its requests before the time was over is void (wrk would divide
by the whole duration) and is repeated with more.

Printed: throughput and its ratio to the bare handler, p50/p99 latency and their ratio to the bare handler's,
server CPU per request (while wrk ran, including the deliveries the sends cause), resident memory with
100,000 stored messages and after half as many again (the store keeps --store-cap, 100,000 by default), and
start-up time to the first answered request, and what the pytest plugin's fixture adds to a test session.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.workloads import WORKLOADS, write  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
#: requests written for the bare handler per second of a run (it answers ~25,000/s at c=50 on 2 cores)
BARE_RATE_GUESS = {1: 15_000, 50: 45_000}
MEMORY_MESSAGES = 100_000
WARM_UP = 2_000     # requests sent to each fresh server before it is measured ...
WARM_UP_NUMBERS = 90_000_000    # ... numbered (so addressed to phones) far from those of the measured run


@dataclass
class Result:
    workload: str
    target: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_req: float
    non_2xx: int
    requests: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cmd: list[str], cpu: str) -> list[str]:
    return (["taskset", "-c", cpu] if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1 else []) + cmd


#: The event loop both servers run on (`--loop`): ratios compare the emulator and the bare handler on the same one.
LOOP = "asyncio"


def start(target: str, port: int) -> tuple[subprocess.Popen, float]:
    """`target`: bare, emulator (with the benchmark's fixtures file) or defaults (the emulator on its
    built-in defaults, as the README's first command and the Docker image start it)."""
    if target == "bare":
        cmd = [sys.executable, str(HERE / "bare_server.py"), str(port), LOOP]
    else:
        fixtures = ["--fixtures", str(HERE / "fixtures")] if target == "emulator" else []
        cmd = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--quiet", *fixtures, "--loop", LOOP]
    started = time.perf_counter()
    proc = subprocess.Popen(pinned(cmd, "0"), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/" + ("" if target == "bare" else "_emulator/health")
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                resp.read()
            return proc, time.perf_counter() - started
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{target} exited: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.005)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(port: int, workload: str, connections: int, duration: float, count: int,
            server_pid: int | None = None, first: int = 0) -> dict[str, float]:
    """wrk over `count` pre-signed requests; `exhausted` says it ran out of them before the time was over, and
    `cpu_s` is the CPU time `server_pid` used while wrk ran."""
    threads = 1 if connections == 1 else 2
    with tempfile.NamedTemporaryFile(suffix=".req", delete=False) as tmp:
        path = tmp.name
    try:
        write(path, workload, f"127.0.0.1:{port}", count, first)
        env = {**os.environ, "REQUESTS_FILE": path, "WRK_THREADS": str(threads)}
        seconds = f"-d{max(1, round(duration))}s"
        before = cpu_ticks(server_pid) if server_pid else 0
        out = subprocess.run(pinned(["wrk", f"-t{threads}", f"-c{connections}", seconds, "--latency",
                                     "-s", str(HERE / "replay.lua"), f"http://127.0.0.1:{port}/"], "1"),
                             env=env, capture_output=True, text=True, check=True).stdout
        cpu_s = (cpu_ticks(server_pid) - before) / CLK_TCK if server_pid else 0.0
    finally:
        os.unlink(path)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "requests": requests,
            "non_2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
            "p50_ms": _ms(latency["50"]), "p99_ms": _ms(latency["99"]),
            "exhausted": requests >= count - threads, "cpu_s": cpu_s}


def measure(target: str, workload: str, connections: int, duration: float, count: int) -> Result:
    for _ in range(4):
        port = free_port()
        proc, _ = start(target, port)
        try:
            # first-request imports and caches, not measured; to other numbers than the run's (resend intervals)
            run_wrk(port, workload, connections, 1, WARM_UP, first=WARM_UP_NUMBERS)
            stats = run_wrk(port, workload, connections, duration, count, proc.pid)
        finally:
            stop(proc)
        if not stats["exhausted"]:
            return Result(workload, target, connections, stats["rps"], stats["p50_ms"], stats["p99_ms"],
                          stats["cpu_s"] / max(stats["requests"], 1) * 1e6, stats["non_2xx"], stats["requests"])
        count *= 2
        print(f"  {workload} c={connections} {target}: ran out of requests, again with {count:,}", file=sys.stderr)
    raise RuntimeError(f"{workload} c={connections} {target}: still out of requests at {count:,}")


def stored_messages(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return int(float(re.search(r"^sms_emulator_messages_stored (\S+)$", text, re.M).group(1)))


def send(port: int, count: int, rate: float) -> None:
    """`count` more accepted SendSms, in as many wrk runs as it takes (each sized by `rate` per second)."""
    target = stored_messages(port) + count
    for _ in range(10):
        missing = target - stored_messages(port)
        if missing <= 0:
            return
        stats = run_wrk(port, "SendSms ACS3", 50, missing / rate * 1.3 + 1, missing)
        if stats["non_2xx"]:
            raise RuntimeError(f"the memory run's sends were refused {stats['non_2xx']} times")
    raise RuntimeError(f"could not store {count:,} more messages")


def memory(rate: float) -> dict[str, float]:
    """Resident memory with `MEMORY_MESSAGES` stored messages, and after half as many again: the store keeps
    at most 100,000 (--store-cap), so memory must stay flat. `rate` (SendSms per second) sizes wrk's runs."""
    port = free_port()
    proc, _ = start("emulator", port)
    try:
        readings: dict[str, float] = {"idle_mb": memory_mb(proc.pid)}
        send(port, MEMORY_MESSAGES, rate)
        readings.update(rss_at_100k_mb=memory_mb(proc.pid), messages_at_100k=stored_messages(port))
        # Past the cap the store prunes; its count stays put, so send by count of requests instead.
        stats = run_wrk(port, "SendSms ACS3", 50, MEMORY_MESSAGES / 2 / rate * 1.3 + 1, MEMORY_MESSAGES // 2)
        readings.update(rss_at_150k_sent_mb=memory_mb(proc.pid), messages_at_150k_sent=stored_messages(port),
                        sent_beyond_cap=stats["requests"], peak_mb=memory_mb(proc.pid, "VmHWM"))
    finally:
        stop(proc)
    return readings


def precompile() -> None:
    """Byte-compile the emulator's modules, as installing a wheel does (the Docker image) and as a first start
    does on a machine that writes bytecode. An editable install under PYTHONDONTWRITEBYTECODE=1 (set on some
    CI machines) would otherwise recompile all ~100 modules at every start, ~90 ms that no installed copy pays."""
    compileall.compile_dir(ROOT / "emulator", quiet=1)


def startup_time(target: str, tries: int = 5) -> float:
    times = []
    for _ in range(tries):
        proc, elapsed = start(target, free_port())
        stop(proc)
        times.append(elapsed)
    return sorted(times)[len(times) // 2]


PLUGIN_TEST = """
def test_with_the_emulator(sms_emulator):
    assert sms_emulator.messages() == []
"""
BARE_TEST = """
def test_without_it():
    assert True
"""


def pytest_session(test: str, tries: int = 3) -> float:
    """Wall time of a whole `pytest` run of one test (median of `tries`), in a directory of its own, with the
    emulator's plugin as the only one: the test extras' own plugins (hypothesis, schemathesis) take ~4 s to
    import, which is theirs, not ours, and would drown the figure."""
    times = []
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "test_one.py").write_text(test)
        for _ in range(tries):
            started = time.perf_counter()
            subprocess.run(pinned([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                   "-p", "emulator.admin.pytest_plugin", "test_one.py"], "0"),
                           cwd=folder, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def plugin_startup() -> tuple[float, float]:
    """A pytest session whose one test takes the plugin's `sms_emulator` fixture, and the same session whose
    test takes none: the difference is what the fixture costs a test suite (the plugin is loaded in both)."""
    return pytest_session(PLUGIN_TEST), pytest_session(BARE_TEST)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--workload", action="append", choices=list(WORKLOADS), help="repeatable; default all")
    parser.add_argument("--connections", type=int, action="append", help="repeatable; default 1 and 50")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the 150,000-message memory run")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="the event loop of both servers (uvloop: pip install uvloop)")
    args = parser.parse_args()
    global LOOP
    LOOP = args.loop
    if not shutil.which("wrk"):
        print("wrk is needed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    workloads = args.workload or list(WORKLOADS)
    levels = args.connections or [1, 50]
    results: dict[tuple[str, int, str], Result] = {}
    for workload in workloads:
        for connections in levels:
            guess = BARE_RATE_GUESS.get(connections, BARE_RATE_GUESS[50])
            bare = results[(workload, connections, "bare")] = measure(
                "bare", workload, connections, args.duration, int(guess * args.duration))
            # The emulator cannot outrun the bare handler: its share, with headroom.
            emu = results[(workload, connections, "emulator")] = measure(
                "emulator", workload, connections, args.duration, int(bare.rps * args.duration * 1.3) + 100)
            print(f"  measured {workload} c={connections}: bare {bare.rps:,.0f} req/s, "
                  f"emulator {emu.rps:,.0f} req/s", file=sys.stderr)
    send_rate = max((r.rps for r in results.values() if r.target == "emulator" and r.connections >= 50
                     and r.workload == "SendSms ACS3"), default=3000.0)
    mem = None if args.skip_memory else memory(send_rate)
    precompile()
    start_defaults, start_emulator = startup_time("defaults"), startup_time("emulator")
    start_bare = startup_time("bare")
    with_plugin, without_plugin = plugin_startup()

    print(f"\nwrk {args.duration:g} s per run; server pinned to CPU 0, wrk to CPU 1; {os.cpu_count()} CPUs; "
          f"{LOOP} event loop\n")
    header = f"{'workload':<24} {'c':>3} {'bare req/s':>11} {'emu req/s':>10} {'ratio':>6} {'p50 ms':>7} " \
             f"{'p99 ms':>7} {'bare p99':>8} {'p99/bare':>8} {'CPU us/req':>10} {'non-2xx':>7}"
    print(header)
    print("-" * len(header))
    for workload in workloads:
        for connections in levels:
            bare = results[(workload, connections, "bare")]
            emu = results[(workload, connections, "emulator")]
            print(f"{workload:<24} {connections:>3} {bare.rps:>11,.0f} {emu.rps:>10,.0f} {emu.rps / bare.rps:>6.2f} "
                  f"{emu.p50_ms:>7.2f} {emu.p99_ms:>7.2f} {bare.p99_ms:>8.2f} {emu.p99_ms / bare.p99_ms:>8.2f} "
                  f"{emu.cpu_us_per_req:>10.0f} {emu.non_2xx:>7}")
    print(f"\nstart-up to first answered request: emulator {start_defaults * 1000:.0f} ms on its built-in defaults, "
          f"{start_emulator * 1000:.0f} ms with a fixtures file (bare aiohttp {start_bare * 1000:.0f} ms), median of 5")
    print(f"pytest session of one test using the sms_emulator fixture: {with_plugin * 1000:.0f} ms "
          f"(without the fixture {without_plugin * 1000:.0f} ms: the fixture costs "
          f"{(with_plugin - without_plugin) * 1000:.0f} ms), median of 3")
    if mem:
        print(f"resident memory: {mem['idle_mb']:.0f} MiB idle, {mem['rss_at_100k_mb']:.0f} MiB with "
              f"{mem['messages_at_100k']:,} messages stored, {mem['rss_at_150k_sent_mb']:.0f} MiB after "
              f"{mem['sent_beyond_cap']:,} more sends ({mem['messages_at_150k_sent']:,} kept: --store-cap); "
              f"peak {mem['peak_mb']:.0f} MiB")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": [asdict(r) for r in results.values()],
                                               "startup_s": start_emulator, "startup_defaults_s": start_defaults,
                                               "pytest_session_s": {"with_fixture": with_plugin,
                                                                    "without_fixture": without_plugin},
                                               "memory": mem}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
