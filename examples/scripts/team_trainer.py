#!/usr/bin/env python3
"""A team's own trainer, registered by the operator as a step template (examples/step-templates.yaml).

It is what `submit_job(job_type="train", config_path="configs/my_model.json", gpu_count=2)` runs on
a deployment whose template `team-train` answers to the job type `train`:

    python3 team_trainer.py --config {config} --params {params} --out {output}

`--config` is the node's config file (the caller's config_path, read on the caller's machine and
snapshotted with the job): {"data": "iris" | "/path/to/file.csv", "target": "species"};
`--params` its params (`epochs`, `learningRate`, `checkpointEvery`, `epochDelayMs`). It trains
softmax regression with SGD, reports progress and checkpoints through the step kit and resumes from
the last checkpoint on a retry. Standard library only.
"""
import argparse
import csv
import json
import math
import os
import random
from pathlib import Path

from trainyard import step

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def load_table(cfg):
    src = str(cfg.get("data", "iris"))
    path = Path(src) if os.path.isabs(src) else SAMPLES / f"{src}.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    target = cfg.get("target") or list(rows[0].keys())[-1]
    features = [c for c in rows[0] if c != target]

    def num(v):
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    features = [c for c in features if all(num(r[c]) is not None for r in rows)]
    classes = sorted({r[target] for r in rows})
    x = [[num(r[c]) for c in features] for r in rows]
    y = [classes.index(r[target]) for r in rows]
    return x, y, classes, features


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--params", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(args.config, encoding="utf-8") as f:
        cfg = json.load(f)
    with open(args.params, encoding="utf-8") as f:
        params = json.load(f)
    epochs = int(params.get("epochs", 30))
    lr = float(params.get("learningRate", 0.1))
    every = int(params.get("checkpointEvery", 5))
    delay = float(params.get("epochDelayMs", 0)) / 1000
    step.handle_signals()

    x, y, classes, features = load_table(cfg)
    d, k = len(features), len(classes)
    means = [sum(r[j] for r in x) / len(x) for j in range(d)]
    stds = [math.sqrt(sum((r[j] - means[j]) ** 2 for r in x) / len(x)) or 1.0 for j in range(d)]
    x = [[(r[j] - means[j]) / stds[j] for j in range(d)] for r in x]
    w, b, start = [[0.0] * d for _ in range(k)], [0.0] * k, 1
    ckpt = step.resume_checkpoint()
    if ckpt:
        state = json.loads(ckpt.read_text())
        w, b, start = state["w"], state["b"], state["epoch"] + 1
        print(f"resumed from checkpoint at epoch {state['epoch']}", flush=True)

    def probs(row):
        z = [sum(w[c][j] * row[j] for j in range(d)) + b[c] for c in range(k)]
        m = max(z)
        e = [math.exp(v - m) for v in z]
        return [v / sum(e) for v in e]

    loss = float("nan")
    for epoch in range(start, epochs + 1):
        order = list(range(len(x)))
        random.Random(epoch).shuffle(order)
        total = 0.0
        for i in order:
            p = probs(x[i])
            total -= math.log(max(p[y[i]], 1e-12))
            for c in range(k):
                g = p[c] - (1.0 if c == y[i] else 0.0)
                b[c] -= lr * g
                for j in range(d):
                    w[c][j] -= lr * g * x[i][j]
        loss = total / len(x)
        acc = sum(1 for i in range(len(x)) if max(range(k), key=lambda c: probs(x[i])[c]) == y[i]) / len(x)
        stopping = step.should_checkpoint()
        path = None
        if epoch % every == 0 or epoch == epochs or stopping:
            path = Path(args.out) / f"epoch-{epoch:04d}.json"
            path.with_suffix(".tmp").write_text(json.dumps({"epoch": epoch, "w": w, "b": b}))
            os.replace(path.with_suffix(".tmp"), path)
        step.progress(epoch=epoch, epochs=epochs, loss=loss, checkpoint=path, accuracy=acc)
        if step.stopping():
            step.stop()
        if delay:
            import time

            time.sleep(delay)

    model = Path(args.out) / "model.json"
    model.write_text(json.dumps({"classes": classes, "features": features, "means": means, "stds": stds, "w": w, "b": b}))
    step.result(accuracy=round(acc, 4), loss=round(loss, 6), classes=classes, gpus=step.gpus(), model=model.name)


if __name__ == "__main__":
    main()
