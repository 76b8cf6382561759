"""Prefect 3 side of bench/peers.ts: its own API server (`prefect server start` on a free port, with
PostgreSQL when --db-url is given, else its default SQLite), and the three workloads as flows whose
tasks run /bin/true with subprocess.run. Prints one JSON line: seconds per workload per round.

Tuning (Prefect's docs: task runners, settings reference):
- ThreadPoolTaskRunner(max_workers=--concurrency): the runner for blocking (subprocess) tasks; its
  default pool is min(32, cores + 4) = 6 threads here.
- The chain calls each task directly (a dependent call runs in the flow's own thread, no future).
- Throughput: 100 async flow calls gathered in one process (Prefect's documented way to run flows
  concurrently); no deployment or worker, so no process per flow run.
- PREFECT_LOGGING_TO_API_ENABLED=false (the run logs do not travel to the server), analytics off,
  UI off, the scheduler/late-runs services off (nothing here is scheduled).
"""

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import emit, free_port, log, parse_args, run_rounds

args = parse_args(__doc__)
STEP = [args.step]
workdir = Path(args.workdir)
port = free_port()
api_url = f"http://127.0.0.1:{port}/api"
settings = {
    "PREFECT_HOME": str(workdir / "home"),
    "PREFECT_API_URL": api_url,
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}
if args.db_url:
    settings["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = args.db_url
# Before prefect is imported: its settings are read once.
os.environ.update(settings)

from prefect import flow, task  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402
from prefect.futures import wait  # noqa: E402

server_log = open(workdir / "prefect-server.log", "w")
server = subprocess.Popen(
    [str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
    stdout=server_log,
    stderr=subprocess.STDOUT,
    env={**os.environ},
)


def wait_healthy(deadline_s: float = 180) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline_s:
        if server.poll() is not None:
            raise RuntimeError(f"prefect server exited {server.returncode}: see {server_log.name}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"prefect server not healthy after {deadline_s} s: see {server_log.name}")


@task
def step() -> None:
    subprocess.run(STEP, check=True)


@task
async def async_step() -> None:
    # The same subprocess.run, off the event loop so that the gathered flows overlap.
    await asyncio.to_thread(subprocess.run, STEP, check=True)


runner = ThreadPoolTaskRunner(max_workers=args.concurrency)


@flow(task_runner=runner)
def chain(n: int) -> None:
    for _ in range(n):
        step()


@flow(task_runner=runner)
def fanout(n: int) -> None:
    step()
    wait([step.submit() for _ in range(n)])
    step()


@flow
async def single() -> None:
    await async_step()


async def many(n: int) -> None:
    await asyncio.gather(*(single() for _ in range(n)))


def run_one(workload: str, small: bool = False) -> float:
    t0 = time.perf_counter()
    if workload == "chain":
        chain(3 if small else args.chain)
    elif workload == "fanout":
        fanout(3 if small else args.fanout)
    else:
        asyncio.run(many(3 if small else args.jobs))
    return time.perf_counter() - t0


try:
    t0 = time.perf_counter()
    wait_healthy()
    log(f"prefect server up on {api_url} in {time.perf_counter() - t0:.1f} s ({'PostgreSQL' if args.db_url else 'SQLite'})")
    for w in ("chain", "fanout", "throughput"):
        run_one(w, small=True)  # warm-up: imports, connections, the flows' first registration
    seconds = run_rounds(args, run_one)
    import prefect

    emit(
        {
            "system": "prefect",
            "version": prefect.__version__,
            "python": sys.version.split()[0],
            "database": "postgresql" if args.db_url else "sqlite",
            "seconds": seconds,
            "tuning": {k: v for k, v in settings.items() if k not in ("PREFECT_HOME", "PREFECT_API_URL")}
            | {"taskRunner": f"ThreadPoolTaskRunner(max_workers={args.concurrency})"},
        }
    )
finally:
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
