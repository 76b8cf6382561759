#!/usr/bin/env python3
"""A user's training script run by a Trainyard `command` step, written with the step kit.

`from trainyard import step` (clients/python/trainyard/step.py, standard library only; the command
step puts it on PYTHONPATH) speaks the step protocol: it reads JOB_INPUT / JOB_OUTPUT_DIR, prints
the TRAINYARD_PROGRESS lines that become heartbeats (live progress, metrics history, checkpoints)
and the TRAINYARD_RESULT line that becomes the node's output.

It trains softmax regression with plain SGD on the upstream dataset's numeric columns.

Checkpoints: every `checkpointEvery` epochs, and at once when the step kit says so —
  * SIGTERM (pause now, cancel, worker drain; SIGKILL follows after the node's killGraceMs): the
    script finishes the sample it is on, writes a checkpoint of exactly where it is (epoch, position
    in the epoch's shuffled order, weights, running loss), reports it and exits 143;
  * a preemption notice (checkpoint now, keep running): same checkpoint, then it carries on.
A retry or resume starts from the reported checkpoint. Every epoch's shuffle is seeded by the epoch
number, so a resumed run ends with exactly the weights of an uninterrupted one (`weightsSha256`).

Settings: node `params` (`epochs`, `checkpointEvery`, `learningRate`, `epochDelayMs`, `failAtEpoch`),
else the environment (EPOCHS, CHECKPOINT_EVERY, LEARNING_RATE, EPOCH_DELAY_MS). `failAtEpoch` makes
the first attempt SIGKILL itself at that epoch — to show a crash resuming from the last checkpoint.
If PyTorch is installed it also reports how many CUDA devices it sees (CUDA_VISIBLE_DEVICES is set
by the GPU worker to exactly the GPUs this step was given).
"""
import hashlib
import json
import math
import os
import random
import signal
import sys
import time

from trainyard import step


def setting(name, env, default, cast):
    value = step.params().get(name, os.environ.get(env, default))
    return cast(value)


EPOCHS = setting("epochs", "EPOCHS", 60, int)
CHECKPOINT_EVERY = setting("checkpointEvery", "CHECKPOINT_EVERY", 10, int)
EPOCH_DELAY = setting("epochDelayMs", "EPOCH_DELAY_MS", 0, float) / 1000.0
LR = setting("learningRate", "LEARNING_RATE", 0.1, float)
FAIL_AT_EPOCH = setting("failAtEpoch", "FAIL_AT_EPOCH", 0, int)


def load_dataset():
    for up in step.upstream().values():
        if "dataset" in up.refs:
            with open(up.path("dataset"), encoding="utf-8") as f:
                return json.load(f)
    sys.exit("no upstream dataset: put a dataset node before this command")


def save_checkpoint(state):
    """Writes the state atomically into the node folder; returns its name."""
    name = f"ckpt-epoch{state['epoch']:05d}" + (f"-at{state['position']:05d}" if state["position"] else "") + ".json"
    path = step.output_dir() / name
    tmp = path.with_name(name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f)
    os.replace(tmp, path)
    return path


def main():
    step.handle_signals()  # from here on SIGTERM means "checkpoint where you are, then stop"
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

    # Where training stands: `position` samples of epoch `epoch` are done (0 = the epoch is complete).
    state = {"epoch": 0, "position": 0, "total": 0.0, "w": [[0.0] * d for _ in range(k)], "b": [0.0] * k}
    resumed_from = None
    ckpt = step.resume_checkpoint()
    if ckpt and ckpt.exists():
        with open(ckpt, encoding="utf-8") as f:
            state = json.load(f)
        resumed_from = state["epoch"] if not state["position"] else state["epoch"] - 1 + state["position"] / len(train_idx)
        where = f"epoch {state['epoch']}" + (f", sample {state['position']}" if state["position"] else "")
        print(f"resumed from checkpoint at {where}", flush=True)
    w, b = state["w"], state["b"]

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
    # A mid-epoch checkpoint continues that epoch; a complete one starts the next.
    first = state["epoch"] if state["position"] else state["epoch"] + 1
    for epoch in range(first, EPOCHS + 1):
        epoch_rng = random.Random(1000 + epoch)  # deterministic per epoch: a resumed run matches
        batch = train_idx[:]
        epoch_rng.shuffle(batch)
        start = state["position"] if epoch == state["epoch"] else 0
        total = state["total"] if start else 0.0
        if FAIL_AT_EPOCH and epoch == FAIL_AT_EPOCH and step.attempt() == 1:
            print(f"failAtEpoch={FAIL_AT_EPOCH}: killing myself (SIGKILL) on attempt 1", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        for pos in range(start, len(batch)):
            i = batch[pos]
            p = probs(x[i])
            total -= math.log(max(p[y[i]], 1e-12))
            for c in range(k):
                g = p[c] - (1.0 if c == y[i] else 0.0)
                b[c] -= LR * g
                for j in range(d):
                    w[c][j] -= LR * g * x[i][j]
            done = pos + 1
            if done < len(batch) and step.should_checkpoint():
                # SIGTERM or a preemption notice: checkpoint exactly here, mid-epoch.
                path = save_checkpoint({"epoch": epoch, "position": done, "total": total, "w": w, "b": b})
                step.progress(epoch=epoch - 1, epochs=EPOCHS, checkpoint=path, message=f"checkpoint at sample {done}")
                if step.stopping():
                    print(f"SIGTERM: checkpointed at epoch {epoch}, sample {done}; stopping", flush=True)
                    step.stop()
        loss = total / len(batch)
        # Read once: a SIGTERM arriving after this is seen at the next sample.
        stopping, requested = step.stopping(), step.checkpoint_requested()
        checkpoint = None
        if epoch % CHECKPOINT_EVERY == 0 or epoch == EPOCHS or stopping or requested:
            checkpoint = save_checkpoint({"epoch": epoch, "position": 0, "total": 0.0, "w": w, "b": b})
        step.progress(epoch=epoch, epochs=EPOCHS, loss=round(loss, 6), checkpoint=checkpoint, lr=LR)
        if stopping:
            print(f"SIGTERM: checkpointed at the end of epoch {epoch}; stopping", flush=True)
            step.stop()
        if EPOCH_DELAY:
            time.sleep(EPOCH_DELAY)

    weights = json.dumps({"w": w, "b": b}, separators=(",", ":"))
    result = {
        "trainAccuracy": round(accuracy(train_idx), 4),
        "testAccuracy": round(accuracy(test_idx), 4),
        "loss": round(loss, 6),
        "epochs": EPOCHS,
        "resumedFromEpoch": resumed_from,
        "weightsSha256": hashlib.sha256(weights.encode()).hexdigest(),
    }
    try:
        import torch  # optional: only to show which GPUs this step can see

        result["torchCudaDevices"] = torch.cuda.device_count()
    except ImportError:
        result["torchCudaDevices"] = None
    result["cudaVisibleDevices"] = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    step.result(**result)


if __name__ == "__main__":
    main()
