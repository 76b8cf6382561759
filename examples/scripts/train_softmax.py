#!/usr/bin/env python3
"""A user's training script run by a Trainyard `command` step (standard library only).

Protocol (see README, "The command step"):
  - JOB_INPUT      JSON: this node's config and its upstream outputs (artifact references)
  - JOB_OUTPUT_DIR the node's folder: write checkpoints and outputs here
  - TRAINYARD_RESUME_CHECKPOINT  set on a retry / resume: the last checkpoint this script reported
  - stdout lines `TRAINYARD_PROGRESS {json}` become Temporal heartbeats (live progress); a
    `"checkpoint": "<file in JOB_OUTPUT_DIR>"` field records a checkpoint to resume from
  - a last `TRAINYARD_RESULT {json}` line becomes the node's output
It trains softmax regression on the upstream dataset's numeric columns with plain SGD. If PyTorch
is installed it also reports how many CUDA devices it can see (CUDA_VISIBLE_DEVICES is set by the
GPU worker to exactly the GPUs this step was given).
"""
import json
import math
import os
import random
import sys
import time

EPOCHS = int(os.environ.get("EPOCHS", "60"))
CHECKPOINT_EVERY = int(os.environ.get("CHECKPOINT_EVERY", "10"))
EPOCH_DELAY = float(os.environ.get("EPOCH_DELAY_MS", "0")) / 1000.0
LR = float(os.environ.get("LEARNING_RATE", "0.1"))


def emit(kind, payload):
    print(f"TRAINYARD_{kind} {json.dumps(payload)}", flush=True)


def load_dataset():
    job_input = json.loads(os.environ["JOB_INPUT"])
    for out in job_input.get("upstream", {}).values():
        ref = (out.get("refs") or {}).get("dataset")
        if ref:
            with open(ref["uri"][len("file://"):], encoding="utf-8") as f:
                return json.load(f)
    sys.exit("no upstream dataset: put a dataset node before this command")


def main():
    ds = load_dataset()
    if ds.get("task") != "classification":
        sys.exit(f"this script trains classifiers; dataset {ds.get('name')} is {ds.get('task')}")
    cols = [i for i, c in enumerate(ds["columns"]) if c["kind"] == "numeric"]
    rows = [[ds["values"][c][r] for c in cols] for r in range(len(ds["y"]))]
    keep = [r for r, row in enumerate(rows) if all(v is not None for v in row)]
    x = [rows[r] for r in keep]
    y = [ds["y"][r] for r in keep]
    k, d = len(ds["classes"]), len(cols)
    means = [sum(r[j] for r in x) / len(x) for j in range(d)]
    stds = [math.sqrt(sum((r[j] - means[j]) ** 2 for r in x) / len(x)) or 1.0 for j in range(d)]
    x = [[(r[j] - means[j]) / stds[j] for j in range(d)] for r in x]

    rng = random.Random(42)
    order = list(range(len(x)))
    rng.shuffle(order)
    cut = int(len(order) * 0.8)
    train_idx, test_idx = order[:cut], order[cut:]

    w = [[0.0] * d for _ in range(k)]
    b = [0.0] * k
    start = 1
    resumed_from = None
    ckpt = os.environ.get("TRAINYARD_RESUME_CHECKPOINT")
    if ckpt and os.path.exists(ckpt):
        with open(ckpt, encoding="utf-8") as f:
            state = json.load(f)
        w, b, start = state["w"], state["b"], state["epoch"] + 1
        resumed_from = state["epoch"]
        print(f"resumed from checkpoint at epoch {resumed_from}", flush=True)

    def probs(row):
        z = [sum(w[c][j] * row[j] for j in range(d)) + b[c] for c in range(k)]
        m = max(z)
        e = [math.exp(v - m) for v in z]
        s = sum(e)
        return [v / s for v in e]

    def accuracy(idx):
        hits = sum(1 for i in idx if max(range(k), key=lambda c: probs(x[i])[c]) == y[i])
        return hits / max(1, len(idx))

    loss = float("nan")
    for epoch in range(start, EPOCHS + 1):
        epoch_rng = random.Random(1000 + epoch)  # deterministic per epoch: a resumed run matches
        batch = train_idx[:]
        epoch_rng.shuffle(batch)
        total = 0.0
        for i in batch:
            p = probs(x[i])
            total -= math.log(max(p[y[i]], 1e-12))
            for c in range(k):
                g = p[c] - (1.0 if c == y[i] else 0.0)
                b[c] -= LR * g
                for j in range(d):
                    w[c][j] -= LR * g * x[i][j]
        loss = total / len(batch)
        progress = {"epoch": epoch, "epochs": EPOCHS, "loss": round(loss, 6), "percent": round(100 * epoch / EPOCHS, 1)}
        if epoch % CHECKPOINT_EVERY == 0 or epoch == EPOCHS:
            name = f"ckpt-epoch{epoch:05d}.json"
            tmp = os.path.join(os.environ["JOB_OUTPUT_DIR"], name + ".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"epoch": epoch, "w": w, "b": b}, f)
            os.replace(tmp, os.path.join(os.environ["JOB_OUTPUT_DIR"], name))  # atomic
            progress["checkpoint"] = name
        emit("PROGRESS", progress)
        if EPOCH_DELAY:
            time.sleep(EPOCH_DELAY)

    result = {"trainAccuracy": round(accuracy(train_idx), 4), "testAccuracy": round(accuracy(test_idx), 4), "loss": round(loss, 6), "epochs": EPOCHS, "resumedFromEpoch": resumed_from}
    try:
        import torch  # optional: only to show which GPUs this step can see

        result["torchCudaDevices"] = torch.cuda.device_count()
    except ImportError:
        result["torchCudaDevices"] = None
    result["cudaVisibleDevices"] = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    emit("RESULT", result)


if __name__ == "__main__":
    main()
