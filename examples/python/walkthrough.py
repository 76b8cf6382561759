"""The README's "From Python" walk-through, as one script (run against `npm start` with
TRAINYARD_STEP_TEMPLATES=examples/step-templates.yaml; TRAINYARD_URL / TRAINYARD_API_KEY set)."""
import json
import pathlib

import trainyard
from trainyard import Job, JobDAG, JobDefinition, JobStatus, JobType, SpecValidationError

# 1. The seeds' call: "train" runs the team's trainer registered as a step template (alias train).
pathlib.Path("configs").mkdir(exist_ok=True)
pathlib.Path("configs/iris_softmax.yaml").write_text("data: iris\ntarget: species\n")
job_id = trainyard.submit_job(job_type="train", config_path="configs/iris_softmax.yaml", gpu_count=2,
                              priority=7, tags=["walkthrough"], params={"epochs": 10})
status = trainyard.get_job_status(job_id)
print(f"Job {job_id}: {status['status']}")

# 2. Follow it: every event until the end.
for event in trainyard.watch(job_id):
    if event.type in ("node_status", "job_completed"):
        print(" ", event.type, getattr(event, "node_id", ""), event.status)
job = trainyard.get_job_status(job_id)
print("result:", json.dumps(job.node("train").output.summary["result"]))

# 3. Its metrics history, logs and artifacts.
history = trainyard.node_metrics(job_id, "train")
print("metrics:", len(history.points), "reports; keys", history.keys,
      "; last", {"epoch": history.points[-1].epoch, "loss": round(history.points[-1].loss, 4)})
print("log:", [l for l in trainyard.logs(job_id, "train", follow=False) if "attempt" in l][0])
print("artifacts:", sorted(a.name for a in trainyard.list_artifacts(job_id)))

# 4. A DAG built in Python, run to the end; results per node.
data = Job(job_type=JobType.DATASET, id="data", config={"name": "wine"})
train = Job(job_type=JobType.COMMAND, id="train", dependencies=[data],
            config={"command": ["python3", "{scripts}/train_softmax.py"]}, params={"epochs": 20, "learningRate": 0.05})
plots = Job(job_type=JobType.VISUALIZE, id="plots", dependencies=[train])
dag = JobDAG([data, train, plots])
print("order:", dag.get_execution_order())
results = JobDefinition(name="wine-softmax", dag=dag, tags={"walkthrough"}).execute()
print("testAccuracy:", results["train"].result["testAccuracy"], "| plots:", [a["name"] for a in results["plots"].artifacts])

# 5. Errors name every field.
try:
    trainyard.submit({"name": "bad", "nodes": [{"id": "d", "type": "dataset", "config": {"name": "iris"}},
                                                {"id": "s", "type": "split", "dependsOn": ["d"], "config": {"testSize": 0.9}},
                                                {"id": "t", "type": "trian", "dependsOn": ["s"]}]})
except SpecValidationError as e:
    for d in e.details:
        print("error", d["path"], "-", d["message"][:90])

# 6. Listing.
print("completed walkthrough jobs:", len(list(trainyard.list_jobs(status=JobStatus.COMPLETED, tag="walkthrough"))))
