"""Benchmark: the emulator against a bare aiohttp handler, in the same run, on the same machine.

    python bench/run.py                 # every workload, c=1 and c=50, 8 s each
    python bench/run.py --duration 3 --workload "SendSms ACS3"

Each measurement starts a fresh server pinned to CPU 0 and drives it with wrk pinned to CPU 1 (so the load
generator is never competing for the server's core). wrk replays pre-signed requests, each sent once, so every
request pays for full signature verification, nonce bookkeeping, validation, storage and delivery scheduling.
Printed: throughput and its ratio to the bare handler, p50/p99 latency, server CPU per request, peak RSS of the
emulator, and start-up time to the first answered request.
"""

from __future__ import annotations

import argparse
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


def start(target: str, port: int) -> tuple[subprocess.Popen, float]:
    if target == "bare":
        cmd = [sys.executable, str(HERE / "bare_server.py"), str(port)]
    else:
        cmd = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--quiet",
               "--fixtures", str(HERE / "fixtures")]
    started = time.perf_counter()
    proc = subprocess.Popen(pinned(cmd, "0"), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/" + ("_emulator/health" if target == "emulator" else "")
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                resp.read()
            return proc, time.perf_counter() - started
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{target} exited: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.005)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(port: int, workload: str, connections: int, duration: float, estimate: int) -> dict[str, float]:
    threads = 1 if connections == 1 else 2
    with tempfile.NamedTemporaryFile(suffix=".req", delete=False) as tmp:
        path = tmp.name
    try:
        write(path, workload, f"127.0.0.1:{port}", estimate)
        env = {**os.environ, "REQUESTS_FILE": path, "WRK_THREADS": str(threads)}
        seconds = f"-d{max(1, round(duration))}s"
        out = subprocess.run(pinned(["wrk", f"-t{threads}", f"-c{connections}", seconds, "--latency",
                                     "-s", str(HERE / "replay.lua"), f"http://127.0.0.1:{port}/"], "1"),
                             env=env, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "non_2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
            "p50_ms": _ms(latency["50"]), "p99_ms": _ms(latency["99"])}


def measure(target: str, workload: str, connections: int, duration: float) -> tuple[Result, float]:
    port = free_port()
    proc, _ = start(target, port)
    try:
        estimate = int(duration * (3_000 if connections == 1 else 25_000))
        before = cpu_ticks(proc.pid)
        stats = run_wrk(port, workload, connections, duration, estimate)
        used = (cpu_ticks(proc.pid) - before) / CLK_TCK
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return Result(workload, target, connections, stats["rps"], stats["p50_ms"], stats["p99_ms"],
                  used / max(stats["requests"], 1) * 1e6, stats["non_2xx"], stats["requests"]), rss


def startup_time(target: str, tries: int = 5) -> float:
    times = []
    for _ in range(tries):
        proc, elapsed = start(target, free_port())
        proc.terminate()
        proc.wait(timeout=10)
        times.append(elapsed)
    return sorted(times)[len(times) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--workload", action="append", choices=list(WORKLOADS), help="repeatable; default all")
    parser.add_argument("--connections", type=int, action="append", help="repeatable; default 1 and 50")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    workloads = args.workload or list(WORKLOADS)
    results: list[Result] = []
    peak = 0.0
    for workload in workloads:
        for connections in args.connections or [1, 50]:
            for target in ("bare", "emulator"):
                result, rss = measure(target, workload, connections, args.duration)
                results.append(result)
                if target == "emulator":
                    peak = max(peak, rss)
                print(f"  measured {workload} c={connections} {target}: {result.rps:,.0f} req/s", file=sys.stderr)
    start_emulator, start_bare = startup_time("emulator"), startup_time("bare")

    print(f"\nwrk {args.duration:g} s per run; server pinned to CPU 0, wrk to CPU 1; {os.cpu_count()} CPUs\n")
    header = f"{'workload':<24} {'c':>3} {'bare req/s':>11} {'emu req/s':>10} {'ratio':>6} " \
             f"{'p50 ms':>7} {'p99 ms':>7} {'p99/bare':>8} {'CPU us/req':>10} {'non-2xx':>7}"
    print(header)
    print("-" * len(header))
    by_key = {(r.workload, r.connections, r.target): r for r in results}
    for workload in workloads:
        for connections in args.connections or [1, 50]:
            bare, emu = by_key[(workload, connections, "bare")], by_key[(workload, connections, "emulator")]
            print(f"{workload:<24} {connections:>3} {bare.rps:>11,.0f} {emu.rps:>10,.0f} {emu.rps / bare.rps:>6.2f} "
                  f"{emu.p50_ms:>7.2f} {emu.p99_ms:>7.2f} {emu.p99_ms / bare.p99_ms:>8.2f} "
                  f"{emu.cpu_us_per_req:>10.0f} {emu.non_2xx:>7}")
    print(f"\nstart-up to first answered request: emulator {start_emulator * 1000:.0f} ms "
          f"(bare aiohttp {start_bare * 1000:.0f} ms), median of 5")
    print(f"peak RSS of the emulator over the runs: {peak:.0f} MiB "
          f"(largest run stored {max(r.requests for r in results if r.target == 'emulator'):,} requests' messages; "
          "the store keeps at most --store-cap, 100,000 by default)")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": [asdict(r) for r in results], "startup_s": start_emulator,
                                               "peak_rss_mb": peak}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
