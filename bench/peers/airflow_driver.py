"""Airflow 3 side of bench/peers.ts: a private AIRFLOW_HOME, `airflow db migrate`, then the three
components Airflow 3 needs (api-server, scheduler with the LocalExecutor, dag-processor), and the
three workloads as DAGs of BashOperator('/bin/true'), triggered through the REST API (POST
/api/v2/dags/{id}/dagRuns). A run's time is from just before its trigger to the dag run's end_date
as the scheduler wrote it (read from the metadata database, so polling adds nothing).
Prints one JSON line: seconds per workload per round.

Tuning (Airflow's configuration reference; every value is in TUNING below and in the JSON):
- LocalExecutor on PostgreSQL (--db-url, an existing database; the docs' choice beyond a trial), else SQLite
  (which Airflow 3 only runs with one task at a time: SequentialExecutor is gone, so LocalExecutor
  with parallelism 1).
- [core] parallelism = --concurrency; max_active_tasks_per_dag and max_active_runs_per_dag raised so
  that neither the 100-wide fan-out nor the 100 runs at once are held back by per-DAG limits.
- [scheduler] scheduler_idle_sleep_time 1 → 0.05 s (the loop's sleep when it found nothing to do:
  the latency between a task's end and its successor's scheduling), max_tis_per_query 16 → 512,
  max_dagruns_to_create_per_loop 10 → 100, max_dagruns_per_loop_to_schedule 20 → 200.
- [dag_processor] refresh_interval 300 → 5 s (the DAGs appear quickly), min_file_process_interval
  30 → 600 s (no re-parsing in the background while timing).
- dags_are_paused_at_creation off, load_examples off, simple_auth_manager_all_admins on (no login).
"""

import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from common import emit, free_port, log, parse_args, run_rounds

args = parse_args(__doc__)
STEP = [args.step]
workdir = Path(args.workdir)
home = workdir / "airflow-home"
dags = home / "dags"
dags.mkdir(parents=True, exist_ok=True)
port = free_port()
base = f"http://127.0.0.1:{port}"
db_url = args.db_url or f"sqlite:///{home / 'airflow.db'}"
parallelism = args.concurrency if args.db_url else 1

TUNING = {
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__CORE__PARALLELISM": str(parallelism),
    "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(max(args.fanout, args.jobs)),
    "AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG": str(max(args.jobs, 16)),
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.05",
    "AIRFLOW__SCHEDULER__MAX_TIS_PER_QUERY": "512",
    "AIRFLOW__SCHEDULER__MAX_DAGRUNS_TO_CREATE_PER_LOOP": "100",
    "AIRFLOW__SCHEDULER__MAX_DAGRUNS_PER_LOOP_TO_SCHEDULE": "200",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
}
env = {
    **os.environ,
    **TUNING,
    "AIRFLOW_HOME": str(home),
    "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
    "AIRFLOW__API__HOST": "127.0.0.1",
    "AIRFLOW__API__PORT": str(port),
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
    # One secret for every component: the scheduler signs the tasks' tokens, the api-server checks them.
    "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
    "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    # Not latency: the tasks' calls to the Execution API time out after 5 s by default, which a
    # loaded 2-core machine exceeds (the task then fails).
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
}
os.environ.update({k: v for k, v in env.items() if k.startswith("AIRFLOW")})

# The DAGs: chain, fan-out (root → N → join), a single step, and a 3-step chain for the warm-up.
cmd = " ".join(STEP)
(dags / "peers.py").write_text(
    f'''
from airflow.sdk import DAG, chain
from airflow.providers.standard.operators.bash import BashOperator

def step(i):
    return BashOperator(task_id=f"s{{i}}", bash_command={cmd!r})

with DAG("peers_chain", schedule=None, catchup=False):
    chain(*[step(i) for i in range({args.chain})])

with DAG("peers_warm", schedule=None, catchup=False):
    chain(*[step(i) for i in range(3)])

with DAG("peers_fanout", schedule=None, catchup=False):
    root, join = step("root"), step("join")
    for i in range({args.fanout}):
        root >> step(i) >> join

with DAG("peers_single", schedule=None, catchup=False):
    step(0)
'''
)

airflow = str(Path(sys.executable).with_name("airflow"))
procs: list[subprocess.Popen] = []


def start(name: str, *argv: str) -> None:
    out = open(workdir / f"airflow-{name}.log", "w")
    procs.append(subprocess.Popen([airflow, *argv], stdout=out, stderr=subprocess.STDOUT, env=env))


import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

api = httpx.Client(base_url=f"{base}/api/v2", timeout=60)
engine = sa.create_engine(db_url)


def wait_for(what: str, ok, deadline_s: float = 300) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline_s:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"an airflow component exited {p.returncode} while waiting for {what}: {p.args}")
        try:
            if ok():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"airflow: no {what} after {deadline_s} s (logs in {workdir})")


def trigger(dag_id: str) -> str:
    r = api.post(f"/dags/{dag_id}/dagRuns", json={"logical_date": None})
    r.raise_for_status()
    return r.json()["dag_run_id"]


def finish(dag_id: str, run_ids: list[str], deadline_s: float = 900) -> datetime:
    """Waits until every run ended; the latest end_date. A failed run raises."""
    q = sa.text("SELECT run_id, state, end_date FROM dag_run WHERE dag_id = :d")
    t0 = time.monotonic()
    want = set(run_ids)
    while time.monotonic() - t0 < deadline_s:
        with engine.connect() as c:
            rows = [r for r in c.execute(q, {"d": dag_id}) if r.run_id in want]
        failed = [r.run_id for r in rows if r.state == "failed"]
        if failed:
            raise RuntimeError(f"{dag_id}: {len(failed)} run(s) failed, e.g. {failed[0]} (logs in {home / 'logs'})")
        done = [r for r in rows if r.state == "success" and r.end_date is not None]
        if len(done) == len(want):
            ends = [r.end_date if r.end_date.tzinfo else r.end_date.replace(tzinfo=timezone.utc) for r in done]
            return max(ends)
        time.sleep(0.1)
    raise RuntimeError(f"{dag_id}: runs not finished after {deadline_s} s")


def run_one(workload: str) -> float:
    dag_id, n = {"chain": ("peers_chain", 1), "fanout": ("peers_fanout", 1), "throughput": ("peers_single", args.jobs)}[
        workload
    ]
    t0 = datetime.now(timezone.utc)
    if n == 1:
        ids = [trigger(dag_id)]
    else:
        with ThreadPoolExecutor(n) as ex:
            ids = list(ex.map(lambda _: trigger(dag_id), range(n)))
    return (finish(dag_id, ids) - t0).total_seconds()


try:
    import airflow as airflow_pkg

    t0 = time.perf_counter()
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    log(f"airflow {airflow_pkg.__version__}: db migrate {time.perf_counter() - t0:.1f} s ({db_url.split(':')[0]})")
    start("api-server", "api-server", "--port", str(port), "--host", "127.0.0.1")
    start("scheduler", "scheduler")
    start("dag-processor", "dag-processor")
    wait_for("api-server", lambda: httpx.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200)
    for d in ("peers_chain", "peers_warm", "peers_fanout", "peers_single"):
        wait_for(f"DAG {d}", lambda: api.get(f"/dags/{d}").status_code == 200)
        api.patch(f"/dags/{d}", json={"is_paused": False}).raise_for_status()
    log(f"airflow up on {base} in {time.perf_counter() - t0:.1f} s")
    # Warm-up: every worker process's first task, the DAGs' first runs.
    finish("peers_warm", [trigger("peers_warm")])
    finish("peers_single", [trigger("peers_single") for _ in range(3)])
    seconds = run_rounds(args, run_one)
    emit(
        {
            "system": "airflow",
            "version": airflow_pkg.__version__,
            "python": sys.version.split()[0],
            "database": "postgresql" if args.db_url else "sqlite",
            "seconds": seconds,
            "tuning": TUNING,
        }
    )
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
