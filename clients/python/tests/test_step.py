"""The step kit (trainyard.step) in a real subprocess, the way a command step runs a script."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

PKG = str(Path(__file__).resolve().parents[1])


def run_script(tmp_path: Path, body: str, job_input=None, env=None, **popen):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    full_env = {
        "PATH": os.environ["PATH"],
        # Only the package folder: the step kit must import without httpx/pydantic on the path.
        "PYTHONPATH": PKG,
        "PYTHONNOUSERSITE": "1",
        "JOB_INPUT": json.dumps(job_input or {"jobId": "j", "nodeId": "n", "config": {}, "upstream": {}, "gpus": []}),
        "JOB_OUTPUT_DIR": str(out),
        "TRAINYARD_CHECKPOINT_NOW_FILE": str(out / ".trainyard-checkpoint-now"),
        **(env or {}),
    }
    return subprocess.Popen([sys.executable, str(script)], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen), out


def lines(stdout: str, prefix: str):
    return [json.loads(l[len(prefix) + 1 :]) for l in stdout.splitlines() if l.startswith(prefix + " ")]


def test_progress_result_and_inputs(tmp_path):
    ds = tmp_path / "dataset.json"
    ds.write_text("{}")
    ji = {
        "jobId": "j",
        "nodeId": "train",
        "config": {"command": ["python3"]},
        "configFile": {"model": "frcnn", "lr": 0.1},
        "params": {"lr": 0.5},
        "upstream": {"data": {"summary": {"result": {"rows": 3}}, "artifacts": [], "refs": {"dataset": {"uri": f"file://{ds}", "name": "dataset.json"}}}},
        "gpus": [2, 3],
    }
    proc, out = run_script(
        tmp_path,
        """
        import sys
        assert "httpx" not in sys.modules
        from trainyard import step
        assert "httpx" not in sys.modules and "pydantic" not in sys.modules
        print("cfg", step.config()["model"], step.params()["lr"], step.gpus(), step.upstream("data").result["rows"])
        print("path", step.upstream("data").path("dataset"))
        (step.output_dir() / "ck.json").write_text("{}")
        step.progress(epoch=3, epochs=10, loss=0.25, checkpoint=step.output_dir() / "ck.json", accuracy=0.9, valMetric=0.8, bad=float("nan"))
        step.progress(epoch=4, epochs=10)
        step.result(accuracy=0.9, name="x")
        """,
        job_input=ji,
    )
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "cfg frcnn 0.5 [2, 3] 3" in stdout
    assert f"path {ds}" in stdout
    p1, p2 = lines(stdout, "TRAINYARD_PROGRESS")
    assert p1 == {"epoch": 3, "epochs": 10, "loss": 0.25, "percent": 30.0, "valMetric": 0.8, "metrics": {"accuracy": 0.9}, "checkpoint": "ck.json"}
    assert p2 == {"epoch": 4, "epochs": 10, "percent": 40.0}
    assert lines(stdout, "TRAINYARD_RESULT") == [{"accuracy": 0.9, "name": "x"}]


def test_mistakes_are_named(tmp_path):
    proc, _ = run_script(
        tmp_path,
        """
        from trainyard import step
        for f in (lambda: step.upstream("nope"), lambda: step.progress(checkpoint="missing.pt"), lambda: step.progress(loss="high"), lambda: step.progress(checkpoint="/etc/passwd")):
            try:
                f()
            except step.StepKitError as e:
                print("ERR", e)
        """,
    )
    stdout, _ = proc.communicate(timeout=30)
    errs = [l for l in stdout.splitlines() if l.startswith("ERR")]
    assert "'nope' is not a direct dependency" in errs[0]
    assert "missing.pt does not exist" in errs[1]
    assert "expected a number, got str" in errs[2]
    assert "outside the node folder" in errs[3]


def test_outside_a_step_it_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("JOB_INPUT",)}
    r = subprocess.run([sys.executable, "-c", "from trainyard import step; step.job_input()"], env={**env, "PYTHONPATH": PKG, "JOB_INPUT": ""}, capture_output=True, text=True)
    assert "JOB_INPUT is not JSON" in r.stderr or "JOB_INPUT" in r.stderr


def test_sigterm_sets_a_flag_and_stop_exits_143(tmp_path):
    proc, out = run_script(
        tmp_path,
        """
        import time
        from trainyard import step
        step.handle_signals()
        print("ready", flush=True)
        while not step.stopping():
            time.sleep(0.01)
        (step.output_dir() / "last.json").write_text("{}")
        step.progress(epoch=1, checkpoint="last.json")
        step.stop()
        """,
    )
    assert proc.stdout.readline().startswith("TRAINYARD_CAPABILITIES ")
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert lines(stdout, "TRAINYARD_PROGRESS")[0]["checkpoint"] == "last.json"


@pytest.mark.parametrize("how", ["signal", "file"])
def test_checkpoint_now_request_is_seen_and_cleared(tmp_path, how):
    proc, out = run_script(
        tmp_path,
        """
        import time
        from trainyard import step
        step.handle_signals()
        print("ready", flush=True)
        deadline = time.time() + 20
        while not step.checkpoint_requested() and time.time() < deadline:
            time.sleep(0.01)
        (step.output_dir() / "now.json").write_text("{}")
        step.progress(epoch=7, checkpoint="now.json")
        print("after", step.checkpoint_requested(), step.stopping(), flush=True)
        """,
    )
    caps = json.loads(proc.stdout.readline().split(" ", 1)[1])
    assert caps == {"checkpointSignal": "SIGUSR1"}
    proc.stdout.readline()
    if how == "signal":
        proc.send_signal(signal.SIGUSR1)
    else:
        (out / ".trainyard-checkpoint-now").write_text('{"reason":"preemption"}')
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "after False False" in stdout
    assert not (out / ".trainyard-checkpoint-now").exists()
