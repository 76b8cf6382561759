"""The Python client against a live stack (tests/conftest.py starts `npm start` with the example
step templates registered): every call, the seeds' snippets verbatim, watch, recover, idempotency,
errors with field paths, and a step-kit script that is stopped or killed and resumes to the same
weights."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import pytest

import trainyard
from trainyard import (
    AsyncClient,
    ConflictError,
    Job,
    JobDAG,
    JobDefinition,
    JobStatus,
    JobType,
    SpecValidationError,
)

REPO = Path(__file__).resolve().parents[3]


def softmax_job(name: str, **params):
    """dataset → the step-kit example script, with its params."""
    return {
        "name": name,
        "tags": ["pytest"],
        "nodes": [
            {"id": "data", "type": "dataset", "config": {"name": "iris"}},
            {
                "id": "train",
                "type": "command",
                "dependsOn": ["data"],
                "retry": {"maxAttempts": 3, "initialInterval": "1s"},
                "timeout": {"heartbeat": "30s"},
                "config": {"command": ["python3", "{scripts}/train_softmax.py"], "killGraceMs": 15000},
                "params": {"epochs": 30, "checkpointEvery": 5, **params},
            },
        ],
    }


def wait_for(pred, client, job_id, timeout=120):
    seen = []
    for msg in client.watch(job_id, timeout=timeout):
        if pred(msg):
            return msg
        seen.append((msg.type, getattr(msg, "node_id", None), getattr(msg, "status", None)))
    raise AssertionError(f"job {job_id} ended before the condition held; saw {seen[-15:]}")


def test_the_seed_snippets_verbatim(client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("configs").mkdir()
    Path("configs/coco_frcnn.yaml").write_text("data: iris\ntarget: species\n")
    # --- the seed's first snippet, verbatim (objdet.pipelines → trainyard) ---
    from trainyard import submit_job, get_job_status, cancel_job, list_jobs
    from trainyard import JobStatus, JobType, Job, JobDAG

    job_id = submit_job(job_type="train", config_path="configs/coco_frcnn.yaml", output_dir="/outputs/exp_001",
                        gpu_count=2, gpu_memory_gb=16, priority=5, tags=["experiment", "coco"])
    status = get_job_status(job_id); print(f"Job {job_id}: {status['status']}")
    success = cancel_job(job_id)
    jobs = list_jobs(status=JobStatus.RUNNING, job_type=JobType.TRAIN)

    dag = JobDAG()
    pre = Job(job_type=JobType.PREPROCESS, config={"input_dir": "/data"})
    train = Job(job_type=JobType.TRAIN, config={"config_path": "train.yaml"}, dependencies=[pre.id])
    dag.add_job(pre); dag.add_job(train)
    order = dag.get_execution_order()
    # --- end of the seed ---
    assert status["status"] in ("queued", "running")
    assert success is True
    assert all(j.status == "running" for j in jobs)
    assert order == [[pre.id], [train.id]]
    final = client.wait(job_id, timeout=120)
    assert final.status == "cancelled"
    spec = client.get_job_spec(job_id)
    node = spec.spec.nodes[0]
    assert (node.id, node.type, node.template) == ("train", "command", "team-train")
    assert node.config["configFile"] == {"data": "iris", "target": "species"}  # read here, sent as config
    assert node.resources.gpus == 2 and spec.spec.priority == 3 and spec.spec.outputDir == "outputs/exp_001"


def test_the_seed_call_runs_the_teams_trainer_to_completion(client, tmp_path):
    cfg = tmp_path / "my_model.yaml"
    cfg.write_text("data: iris\n")
    job_id = trainyard.submit_job(job_type="train", config_path=cfg, gpu_count=2, params={"epochs": 8}, tags=["pytest", "seed"])
    job = client.wait(job_id, timeout=180)
    assert job.status == "completed", [(n.id, n.status, n.error, n.lastFailure) for n in job.nodes]
    result = job.node("train").output.summary["result"]
    assert result["accuracy"] > 0.85
    assert len(result["gpus"]) == 2  # CUDA_VISIBLE_DEVICES held exactly the 2 GPUs it asked for
    # its artifacts: list, then download the trainer's model file
    arts = trainyard.list_artifacts(job_id)
    model = next(a for a in arts if a.name == "model.json")
    assert json.loads(trainyard.download(job_id, model.path))["classes"] == ["setosa", "versicolor", "virginica"]
    saved = trainyard.download(job_id, model.path, dest=tmp_path)
    assert saved.name == "model.json" and saved.read_bytes()
    # the job is found by its template's name
    assert job_id in [j.id for j in trainyard.list_jobs(job_type="team-train", tag="seed")]
    assert "team-train" in [t.name for t in trainyard.server_config().stepTemplates]


def test_watch_sees_the_job_complete_and_logs_follow(client):
    created = trainyard.submit(softmax_job("watch", epochs=6))
    types = [m.type for m in trainyard.watch(created.id, timeout=120)]
    assert types[0] in ("snapshot", "job_started") and types[-1] == "job_completed"
    assert "node_status" in types
    lines = list(trainyard.logs(created.id, "train", follow=True))
    assert any(l.startswith("TRAINYARD_PROGRESS ") for l in lines)
    assert any(l.startswith("--- attempt 1 ended") for l in lines)
    history = trainyard.node_metrics(created.id, "train")
    assert [p.epoch for p in history.points] == [1, 2, 3, 4, 5, 6]
    assert history.keys == ["lr"] and history.points[0].metrics["lr"] == 0.1 and history.points[-1].loss > 0
    assert trainyard.node_metrics(created.id, "data").points == []


def test_list_jobs_iterates_over_pages(client):
    tag = f"page-{uuid.uuid4().hex[:8]}"
    ids = {trainyard.submit_job(job_type=JobType.DATASET, config={"name": "iris"}, tags=[tag]) for _ in range(3)}
    for i in ids:
        client.wait(i, timeout=60)
    seen = [j.id for j in trainyard.list_jobs(tag=tag, page_size=2)]
    assert sorted(seen) == sorted(ids)
    assert {j.id for j in trainyard.list_jobs(status=JobStatus.COMPLETED, job_type=JobType.DATASET, tag=tag)} == ids
    assert trainyard.cancel_job(next(iter(ids))) is False  # it already ended: nothing to cancel


def test_idempotent_resubmission(client):
    key = f"pytest-{uuid.uuid4()}"
    first = trainyard.submit_job(job_type="dataset", config={"name": "iris"}, idempotency_key=key)
    again = trainyard.submit_job(job_type="dataset", config={"name": "iris"}, idempotency_key=key)
    assert first == again
    with pytest.raises(ConflictError) as err:
        trainyard.submit_job(job_type="dataset", config={"name": "wine"}, idempotency_key=key)
    assert err.value.status == 409 and err.value.code == "idempotency_conflict"


def test_a_bad_spec_raises_with_every_field_path(client):
    spec = softmax_job("bad")
    spec["nodes"].append({"id": "split", "type": "split", "dependsOn": ["data"], "config": {"testSize": 0.9}})
    spec["nodes"].append({"id": "typo", "type": "trian", "dependsOn": ["data"]})
    spec["nodes"][1]["params"]["blob"] = "x" * 70_000
    with pytest.raises(SpecValidationError) as err:
        trainyard.submit(spec)
    e = err.value
    assert e.status == 400 and e.code
    assert {"nodes[2].config.testSize", "nodes[3].type", "nodes[1].params"} <= set(e.paths)
    typo = next(d for d in e.details if d["path"] == "nodes[3].type")
    assert "team-train" in typo["message"] and "dataset" in typo["message"]
    with pytest.raises(ValueError, match="config_path: cannot read"):
        trainyard.submit_job(job_type="train", config_path="/no/such/file.yaml")
    with pytest.raises(trainyard.JobNotFoundError):
        trainyard.get_job_status("job-does-not-exist")


def test_pause_now_stops_the_script_with_a_checkpoint_and_resume_ends_with_the_uninterrupted_weights(client):
    whole = client.wait(trainyard.submit(softmax_job("whole", epochs=30)).id, timeout=180)
    expected = whole.node("train").output.summary["result"]["weightsSha256"]

    job_id = trainyard.submit(softmax_job("paused", epochs=30, epochDelayMs=200)).id
    wait_for(lambda m: m.type == "node_progress" and m.node_id == "train" and (getattr(m.data, "epoch", 0) or 0) >= 8, client, job_id)
    assert trainyard.pause_job(job_id, mode="now").status == "paused"
    paused = wait_for(lambda m: m.type == "node_status" and m.node_id == "train" and m.status == "paused", client, job_id)
    assert paused
    assert trainyard.resume_job(job_id).status == "running"
    job = client.wait(job_id, timeout=180)
    assert job.status == "completed"
    result = job.node("train").output.summary["result"]
    assert result["resumedFromEpoch"] is not None and result["resumedFromEpoch"] >= 7
    assert result["weightsSha256"] == expected
    log = "\n".join(trainyard.logs(job_id, "train", follow=False))
    assert "SIGTERM: checkpointed at" in log and "resumed from checkpoint at" in log


def test_a_killed_script_resumes_from_its_checkpoint_with_the_same_weights(client):
    whole = client.wait(trainyard.submit(softmax_job("whole-kill", epochs=20)).id, timeout=180)
    expected = whole.node("train").output.summary["result"]["weightsSha256"]
    # failAtEpoch: attempt 1 SIGKILLs itself at the start of epoch 13 (last checkpoint: epoch 10)
    job = client.wait(trainyard.submit(softmax_job("killed", epochs=20, failAtEpoch=13)).id, timeout=180)
    assert job.status == "completed"
    node = job.node("train")
    assert node.attempts == 2
    assert node.output.summary["result"]["resumedFromEpoch"] == 10
    assert node.output.summary["result"]["weightsSha256"] == expected


def flaky_job(name: str):
    once = "import os,sys,pathlib; f=pathlib.Path(os.environ['JOB_OUTPUT_DIR'])/'seen'; sys.exit(0) if f.exists() else (f.write_text('1'), sys.exit(3))"
    return {
        "name": name,
        "recoveryWindow": "10m",
        "nodes": [
            {"id": "data", "type": "dataset", "config": {"name": "iris"}},
            {"id": "flaky", "type": "command", "dependsOn": ["data"], "config": {"command": ["python3", "-c", once], "nonRetryableExitCodes": [3]}},
            {"id": "after", "type": "command", "dependsOn": ["flaky"], "config": {"command": ["python3", "-c", "print('after')"]}},
        ],
    }


def test_recover_job_from_node(client):
    job_id = trainyard.submit(flaky_job("recover")).id
    # the job stays open for recovery: wait until it reports failed + recoverable
    for _ in range(120):
        job = trainyard.get_job_status(job_id)
        if job.status == "failed" and job.recoverable:
            break
        time.sleep(0.5)
    assert job.node("flaky").status == "failed" and job.node("after").status == "skipped"
    assert trainyard.recover_job(job_id, from_node="flaky").status == "running"
    final = client.wait(job_id, timeout=120)
    assert final.status == "completed"
    assert final.recoveryAttempts == 1
    assert final.node("data").executions == 1  # completed outputs reused


def test_rerun_job_with_an_override_reuses_the_unchanged_nodes(client):
    # A failed job (its command exits 3, not retried) with the step cache on; the rerun fixes the command.
    spec = {
        "name": "rerun-py",
        "cache": True,
        "nodes": [
            {"id": "data", "type": "dataset", "config": {"name": "iris"}},
            {"id": "step", "type": "command", "dependsOn": ["data"], "config": {"command": ["python3", "-c", "import sys; sys.exit(3)"], "nonRetryableExitCodes": [3]}},
        ],
    }
    old = client.wait(trainyard.submit(spec).id, timeout=120)
    assert old.status == "failed"
    assert old.node("data").status == "completed"
    with pytest.raises(ConflictError):  # a running job cannot be rerun
        slow = trainyard.submit({"name": "rerun-py-slow", "nodes": [{"id": "s", "type": "command", "config": {"command": ["python3", "-c", "import time; time.sleep(60)"]}}]}).id
        try:
            wait_for(lambda msg: getattr(msg, "node_id", None) == "s" and getattr(msg, "status", None) == "running", client, slow)
            trainyard.rerun_job(slow)
        finally:
            trainyard.cancel_job(slow)
    with pytest.raises(SpecValidationError) as bad:
        trainyard.rerun_job(old.id, from_node="nope")
    assert bad.value.paths == ["fromNode"]

    created = trainyard.rerun_job(old.id, {"step.config.command": ["python3", "-c", "print('fixed')"]})
    assert created.rerunOf == old.id and created.id != old.id
    new = client.wait(created.id, timeout=120)
    assert new.status == "completed"
    assert new.rerunOf == old.id
    assert new.node("data").status == "cached"
    assert new.node("data").output.cache.from_.jobId == old.id
    assert new.node("step").status == "completed"

    # from_node: the step runs again though nothing changed; async client too.
    async def again():
        async with AsyncClient(client.url, client.api_key) as ac:
            return await ac.rerun_job(new.id, from_node="step")

    forced = client.wait(asyncio.run(again()).id, timeout=120)
    assert forced.rerunOf == new.id
    assert forced.node("data").status == "cached" and forced.node("step").status == "completed"


def test_job_definition_execute_and_execute_async(client):
    data = Job(job_type=JobType.DATASET, config={"name": "iris"}, id="data")
    train = Job(job_type=JobType.COMMAND, id="train", dependencies=[data], config={"command": ["python3", "{scripts}/train_softmax.py"]}, params={"epochs": 5})
    definition = JobDefinition(name="definition", dag=JobDAG([data, train]), description="from pytest", tags={"pytest"}, metadata={"team": "vision"})
    results = definition.execute(timeout=180)
    assert set(results) == {"data", "train"}
    assert results["train"].status == "completed" and results["train"].result["testAccuracy"] > 0.8
    assert results["data"].artifacts

    async def run():
        async with AsyncClient() as ac:
            out = await definition.execute_async(ac, timeout=180)
            status = await ac.get_job_status(definition.job_id)
            listed = [j.id async for j in ac.list_jobs(tag="pytest", page_size=5)]
            return out, status, listed

    out, status, listed = asyncio.run(run())
    assert out["train"].result["testAccuracy"] == results["train"].result["testAccuracy"]
    assert status["status"] == "completed" and definition.job_id in listed


def test_failed_execute_raises_with_the_node_error(client):
    bad = Job(job_type="command", id="boom", config={"command": ["python3", "-c", "import sys; sys.exit(4)"], "nonRetryableExitCodes": [4]})
    with pytest.raises(trainyard.JobFailedError, match="boom"):
        JobDefinition(name="boom", dag=JobDAG([bad]), recovery_window="0s").execute(timeout=120)


def test_the_models_match_the_live_openapi_document(stack):
    """trainyard/_models.py is what the live /openapi.json generates (regenerate with scripts/generate_models.py)."""
    import importlib.util
    import httpx

    spec = importlib.util.spec_from_file_location("generate_models", Path(__file__).parents[1] / "scripts" / "generate_models.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    document = httpx.get(f"{stack['url']}/openapi.json", timeout=30).json()
    assert gen.generate(document) == gen.TARGET.read_text(), (
        "trainyard/_models.py drifted from /openapi.json: run `python scripts/generate_models.py URL/openapi.json`"
    )


def test_a_schedule_starts_jobs_and_is_controlled_from_python(client):
    name = f"py-{uuid.uuid4().hex[:8]}"
    job = {"name": name, "nodes": [{"id": "data", "type": "dataset", "config": {"name": "iris"}}]}
    s = client.create_schedule(name, job, cron="0 4 * * *", timezone="Europe/Berlin", paused=True)
    assert (s.cron, s.timezone, s.paused, s.overlap) == ("0 4 * * *", "Europe/Berlin", True, "skip")
    assert name in [x.name for x in client.list_schedules()]
    client.trigger_schedule(name)
    deadline = time.time() + 60
    while not client.get_schedule(name).recentRuns:
        assert time.time() < deadline, "the triggered run never appeared"
        time.sleep(0.3)
    run = client.get_schedule(name).recentRuns[0]
    assert client.wait(run.jobId, timeout=60)["status"] == "completed"
    assert client.get_job(run.jobId).scheduledBy == s.scheduleId
    assert client.update_schedule(name, every="1h").everyMs == 3_600_000
    client.delete_schedule(name)
    with pytest.raises(trainyard.JobNotFoundError):  # any 404 (the schedule is gone)
        client.get_schedule(name)
    with pytest.raises(SpecValidationError) as e:
        client.create_schedule(name, job, cron="61 * * * *")
    assert any(p.endswith("cron") for p in e.value.paths)


def test_credits_npm_start_grants_the_dev_owner_and_a_job_is_charged(client):
    """`npm start` turns credits on and grants the dev key's owner a balance; a job reserves its estimate
    at submit and, at its end, is charged its measured cost and refunded the rest (the ledger says so)."""
    before = client.account()
    assert before.enabled and before.totals.granted >= 1000
    job_id = client.submit({"name": "pytest-credits", "nodes": [{"id": "data", "type": "dataset", "config": {"name": "iris"}}]}).id
    job = client.wait(job_id, timeout=60)
    for _ in range(50):  # settled as the job ends; the view may be read a moment before
        if job.credits and job.credits.settled:
            break
        time.sleep(0.2)
        job = client.get_job(job_id)
    c = job.credits
    assert c is not None and c.settled and c.reserved == c.estimated
    assert abs(c.charged + c.refunded - c.reserved) < 1e-9
    mine = [e for e in client.account_entries(page_size=5) if e.jobId == job_id]
    assert {e.kind for e in mine} <= {"reserve", "refund", "charge"} and any(e.kind == "reserve" for e in mine)
    # The dev key is an admin: it grants to another owner, once per grant id.
    owner = f"py-{uuid.uuid4().hex[:8]}"
    first = client.grant_credits(owner, 5, "pytest", grant_id="pytest-once")
    again = client.grant_credits(owner, 5, "pytest", grant_id="pytest-once")
    assert first.applied and again.entry == first.entry
    assert client.account(owner).balance == 5


def test_list_nodes_pages_through_every_node_and_filters_by_status(client):
    ids = [f"n{i:02d}" for i in range(25)]
    spec = {
        "name": "many-nodes",
        "tags": ["pytest"],
        "parallelism": 25,
        "nodes": [
            {"id": i, "type": "command", **({"dependsOn": [ids[0]]} if i != ids[0] else {}), "config": {"command": ["node", "-e", "null"]}}
            for i in ids
        ],
    }
    job_id = trainyard.submit(spec).id
    job = client.wait(job_id, timeout=120)
    assert job.status == "completed"
    first = trainyard.list_nodes(job_id, page_size=10)
    assert first.total == 25 and [n.id for n in first.nodes] == ids[:10] and first.nextPageToken and first.source == "query"
    second = trainyard.list_nodes(job_id, page_size=10, page_token=first.nextPageToken)
    assert [n.id for n in second.nodes] == ids[10:20]
    assert [n.id for n in trainyard.iter_nodes(job_id, page_size=10)] == ids
    done = trainyard.list_nodes(job_id, status=[trainyard.NodeStatus.COMPLETED, "cached"], page_size=100)
    assert done.total == 25 and done.nextPageToken is None
    assert trainyard.list_nodes(job_id, status="failed").total == 0
    with pytest.raises(trainyard.ApiError) as err:
        trainyard.list_nodes(job_id, status="nope")
    assert err.value.status == 400 and err.value.paths[0].startswith("query.status")
    with pytest.raises(trainyard.ApiError) as err:
        trainyard.list_nodes(job_id, page_size=5000)
    assert err.value.status == 400 and "query.pageSize" in err.value.paths
    with pytest.raises(trainyard.ApiError) as err:
        trainyard.list_nodes(job_id, status="failed", page_token=first.nextPageToken)
    assert err.value.code == "invalid_page_token"

    async def all_async():
        async with trainyard.AsyncClient() as c:
            return [n.id async for n in c.iter_nodes(job_id, page_size=7)]

    assert asyncio.run(all_async()) == ids
