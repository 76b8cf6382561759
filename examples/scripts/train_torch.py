#!/usr/bin/env python3
"""A small PyTorch training script as a Trainyard `command` step (runs where torch is installed).

Never needed by CI or the demo: `examples/torch-pipeline.yaml` runs it on a worker whose python3
has torch. It shows what a GPU step sees — `torch.cuda.device_count()` is exactly the number of
GPUs the step was given, because the GPU worker sets CUDA_VISIBLE_DEVICES to them — and checkpoints
with the step kit: every `checkpointEvery` epochs, at once on SIGTERM (pause now, cancel, drain) or
a preemption notice, and resumes from the reported checkpoint (model + optimizer + epoch; each
epoch's shuffle is seeded by its number, so a resumed run is the uninterrupted one).

params: epochs (30), hidden (32), learningRate (0.01), batchSize (32), checkpointEvery (5), seed (0).
"""
import json
import os
import sys

from trainyard import step

try:
    import torch
    from torch import nn
except ImportError:
    sys.exit("train_torch.py needs PyTorch on this worker (pip install torch); train_softmax.py needs nothing")


def main():
    step.handle_signals()
    p = step.params()
    epochs = int(p.get("epochs", 30))
    every = int(p.get("checkpointEvery", 5))
    batch_size = int(p.get("batchSize", 32))
    seed = int(p.get("seed", 0))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(
        f"torch {torch.__version__}: CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '')!r}, "
        f"torch.cuda.device_count()={torch.cuda.device_count()}, step.gpus()={step.gpus()}, device={device}",
        flush=True,
    )

    ds = None
    for up in step.upstream().values():
        if "dataset" in up.refs:
            with open(up.path("dataset"), encoding="utf-8") as f:
                ds = json.load(f)
    if ds is None or ds.get("task") != "classification":
        sys.exit("needs an upstream classification dataset node")
    cols = [i for i, c in enumerate(ds["columns"]) if c["kind"] == "numeric"]
    rows = [(r, [ds["values"][c][r] for c in cols]) for r in range(len(ds["y"]))]
    rows = [(r, v) for r, v in rows if all(x is not None for x in v)]
    x = torch.tensor([v for _, v in rows], dtype=torch.float32)
    y = torch.tensor([ds["y"][r] for r, _ in rows], dtype=torch.long)
    x = (x - x.mean(0)) / x.std(0).clamp_min(1e-6)
    x, y = x.to(device), y.to(device)

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(x.shape[1], int(p.get("hidden", 32))), nn.ReLU(), nn.Linear(int(p.get("hidden", 32)), len(ds["classes"])))
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=float(p.get("learningRate", 0.01)))
    start = 1
    ckpt = step.resume_checkpoint()
    if ckpt and ckpt.exists():
        state = torch.load(ckpt, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start = state["epoch"] + 1
        print(f"resumed from checkpoint at epoch {state['epoch']}", flush=True)

    def save(epoch):
        path = step.output_dir() / f"ckpt-epoch{epoch:05d}.pt"
        tmp = path.with_suffix(".pt.tmp")
        torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict()}, tmp)
        os.replace(tmp, path)
        return path

    loss_fn = nn.CrossEntropyLoss()
    loss = torch.tensor(float("nan"))
    for epoch in range(start, epochs + 1):
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        order = torch.randperm(len(x), generator=g).to(device)
        model.train()
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = (model(x).argmax(1) == y).float().mean().item()
        stopping, requested = step.stopping(), step.checkpoint_requested()
        path = save(epoch) if epoch % every == 0 or epoch == epochs or stopping or requested else None
        step.progress(epoch=epoch, epochs=epochs, loss=loss.item(), checkpoint=path, accuracy=acc)
        if stopping:
            step.stop()

    step.result(
        accuracy=acc,
        loss=loss.item(),
        torchVersion=torch.__version__,
        torchCudaDevices=torch.cuda.device_count(),
        cudaVisibleDevices=os.environ.get("CUDA_VISIBLE_DEVICES", ""),
        device=str(device),
    )


if __name__ == "__main__":
    main()
