"""The step kit: what a training script run by a Trainyard `command` (or template) step needs.

Standard library only, so it imports in any training environment (the command step puts this
package's folder on the step's PYTHONPATH). It speaks the command step's protocol for you:

- ``job_input()``, ``config()``, ``params()``, ``upstream(node_id)``, ``output_dir()``, ``gpus()``
  read what the step was given (``JOB_INPUT``, ``JOB_OUTPUT_DIR``, ``CUDA_VISIBLE_DEVICES``);
- ``progress(epoch=, epochs=, loss=, checkpoint=, **metrics)`` prints a ``TRAINYARD_PROGRESS`` line
  (a Temporal heartbeat: live progress, and the checkpoint a retry or a resume starts from);
- ``resume_checkpoint()`` is that checkpoint on a retry / after ``pause now`` (else ``None``);
- ``result(**outputs)`` prints the ``TRAINYARD_RESULT`` line that becomes the node's output;
- ``should_checkpoint()`` / ``stopping()`` / ``stop()``: on pause-now, cancel and worker drain the
  process gets SIGTERM (then SIGKILL after the node's ``killGraceMs``, 5 s by default); a preemption
  notice asks for a checkpoint *now* through ``TRAINYARD_CHECKPOINT_NOW_FILE`` or SIGUSR1.
  ``handle_signals()`` (or the first call of any of these) installs the handlers; a script that
  never asks keeps Python's defaults (SIGTERM ends it at once).

Typical loop::

    from trainyard import step

    step.handle_signals()                            # from now on SIGTERM only sets a flag
    state = load(step.resume_checkpoint()) if step.resume_checkpoint() else fresh()
    for epoch in range(state.epoch + 1, epochs + 1):
        for batch in batches(epoch):
            train_on(batch)
            if step.should_checkpoint():             # SIGTERM or a preemption notice
                path = save(state, step.output_dir())
                step.progress(epoch=epoch, epochs=epochs, checkpoint=path)
                if step.stopping():
                    step.stop()                      # exit 143: the step resumes from `path`
        step.progress(epoch=epoch, epochs=epochs, loss=loss, accuracy=acc)
    step.result(accuracy=acc)
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Mapping, NoReturn, Optional, Union

__all__ = [
    "job_input",
    "config",
    "params",
    "upstream",
    "Upstream",
    "output_dir",
    "job_dir",
    "gpus",
    "attempt",
    "progress",
    "resume_checkpoint",
    "result",
    "handle_signals",
    "should_checkpoint",
    "checkpoint_requested",
    "stopping",
    "stop",
    "clear_checkpoint_request",
    "StepKitError",
]

PROGRESS_PREFIX = "TRAINYARD_PROGRESS "
RESULT_PREFIX = "TRAINYARD_RESULT "
CAPABILITIES_PREFIX = "TRAINYARD_CAPABILITIES "
#: Fields of a progress line the job view shows as such; every other number goes under "metrics".
_TOP_LEVEL = ("epoch", "epochs", "loss", "valMetric", "percent")
_MAX_METRICS = 50
#: Exit status of a process that stopped on SIGTERM (128 + 15), so the step is not "completed".
STOPPED_EXIT_CODE = 143

PathLike = Union[str, "os.PathLike[str]"]


class StepKitError(RuntimeError):
    """The script is not running inside a Trainyard step, or was handed something malformed."""


_job_input_cache: Optional[Dict[str, Any]] = None


def job_input() -> Dict[str, Any]:
    """Everything the step was given (``JOB_INPUT``): jobId, nodeId, config, params, upstream, resources, gpus."""
    global _job_input_cache
    if _job_input_cache is None:
        raw = os.environ.get("JOB_INPUT")
        if raw is None:
            raise StepKitError("JOB_INPUT is not set: run this script as a Trainyard command or template step")
        try:
            value = json.loads(raw)
        except ValueError as err:
            raise StepKitError(f"JOB_INPUT is not JSON: {err}") from None
        if not isinstance(value, dict):
            raise StepKitError("JOB_INPUT must be a JSON object")
        _job_input_cache = value
    return _job_input_cache


def config() -> Dict[str, Any]:
    """The node's own configuration.

    For a template node: the config it was submitted with (``config:`` / ``configPath`` / the Python
    client's ``config_path``), also written to the file the template's ``{config}`` placeholder names.
    For a plain command node: its ``configFile`` content when given, else its command config.
    """
    ji = job_input()
    file_config = ji.get("configFile")
    if isinstance(file_config, dict):
        return file_config
    value = ji.get("config")
    return value if isinstance(value, dict) else {}


def params() -> Dict[str, Any]:
    """The node's ``params`` (hyperparameters: snapshotted with the spec, hashed into its specHash)."""
    value = job_input().get("params")
    return value if isinstance(value, dict) else {}


class Upstream:
    """The output of one direct dependency: its summary, its artifacts and the refs it carries."""

    def __init__(self, node_id: str, output: Mapping[str, Any]):
        self.node_id = node_id
        self.summary: Dict[str, Any] = dict(output.get("summary") or {})
        self.artifacts: List[Dict[str, Any]] = list(output.get("artifacts") or [])
        self.refs: Dict[str, Dict[str, Any]] = dict(output.get("refs") or {})

    @property
    def result(self) -> Dict[str, Any]:
        """What an upstream command step printed with ``result(...)`` (empty for built-in steps)."""
        value = self.summary.get("result")
        return value if isinstance(value, dict) else {}

    def path(self, name: str) -> Path:
        """The local file of a ref (``"dataset"``, ``"model"``, …) or of an artifact by its name."""
        ref = self.refs.get(name) or next((a for a in self.artifacts if a.get("name") == name), None)
        if ref is None:
            known = sorted(set(self.refs) | {str(a.get("name")) for a in self.artifacts})
            raise StepKitError(f"upstream {self.node_id!r} has no ref or artifact {name!r} (it has: {', '.join(known)})")
        uri = str(ref.get("uri", ""))
        if not uri.startswith("file://"):
            raise StepKitError(f"upstream {self.node_id!r} ref {name!r} is not a local file ({uri})")
        return Path(uri[len("file://") :])

    def __repr__(self) -> str:
        return f"Upstream({self.node_id!r}, refs={sorted(self.refs)}, artifacts={len(self.artifacts)})"


def upstream(node_id: Optional[str] = None) -> Union[Upstream, Dict[str, Upstream]]:
    """One direct dependency's output by node id, or all of them (a dict) without an argument."""
    ups = job_input().get("upstream") or {}
    if node_id is None:
        return {k: Upstream(k, v) for k, v in sorted(ups.items())}
    if node_id not in ups:
        raise StepKitError(f"{node_id!r} is not a direct dependency of this node (it has: {', '.join(sorted(ups)) or 'none'})")
    return Upstream(node_id, ups[node_id])


def output_dir() -> Path:
    """The node's folder (``JOB_OUTPUT_DIR``): write checkpoints and outputs here."""
    value = os.environ.get("JOB_OUTPUT_DIR")
    if not value:
        raise StepKitError("JOB_OUTPUT_DIR is not set: run this script as a Trainyard command or template step")
    return Path(value)


def job_dir() -> Optional[Path]:
    """The job's folder (``TRAINYARD_JOB_DIR``), when the worker exposes it."""
    value = os.environ.get("TRAINYARD_JOB_DIR")
    return Path(value) if value else None


def gpus() -> List[int]:
    """The GPU indices this step holds (exactly ``CUDA_VISIBLE_DEVICES``; empty without GPUs)."""
    value = job_input().get("gpus")
    if isinstance(value, list):
        return [int(g) for g in value]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    return [int(g) for g in visible.split(",") if g.strip().isdigit()]


def attempt() -> int:
    """This attempt's number (1 on the first run; higher on a Temporal retry)."""
    try:
        return int(os.environ.get("TRAINYARD_ATTEMPT", "1"))
    except ValueError:
        return 1


def resume_checkpoint() -> Optional[Path]:
    """The checkpoint to continue from (a retry or a resume after pause-now), or None on a fresh start."""
    value = os.environ.get("TRAINYARD_RESUME_CHECKPOINT")
    return Path(value) if value else None


def _number(name: str, value: Any) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # numpy / torch scalars have __float__; anything else is a mistake worth naming.
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise StepKitError(f"progress({name}=…): expected a number, got {type(value).__name__}") from None
    if not math.isfinite(value):
        return None  # NaN/inf cannot travel as JSON; leave the field out
    return value


def _checkpoint_name(checkpoint: PathLike) -> str:
    """A checkpoint path as the command step wants it: relative to the node folder."""
    path = Path(checkpoint)
    base = output_dir()
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(base.resolve())
        except ValueError:
            raise StepKitError(f"checkpoint {checkpoint} is outside the node folder {base}") from None
    if not (base / path).exists():
        raise StepKitError(f"checkpoint {checkpoint} does not exist (write it before reporting it)")
    return path.as_posix()


def _emit(prefix: str, payload: Mapping[str, Any]) -> None:
    line = prefix + json.dumps(payload, separators=(",", ":"), default=_json_default)
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _json_default(value: Any) -> Any:
    for cast in (float, str):
        try:
            return cast(value)
        except (TypeError, ValueError):
            continue
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


_print_lock = threading.Lock()


def progress(
    epoch: Optional[int] = None,
    epochs: Optional[int] = None,
    loss: Optional[float] = None,
    checkpoint: Optional[PathLike] = None,
    *,
    message: Optional[str] = None,
    percent: Optional[float] = None,
    **metrics: Any,
) -> None:
    """Reports live progress (a heartbeat), any numeric metrics, and optionally a checkpoint file.

    ``checkpoint`` is a file in the node folder (absolute, or relative to it) that is already
    complete on disk (write to a temp file and ``os.replace`` it). ``percent`` defaults to
    epoch / epochs. Every report is kept in the node's metrics history.
    """
    payload: Dict[str, Any] = {}
    for name, value in (("epoch", epoch), ("epochs", epochs), ("loss", loss), ("percent", percent)):
        number = _number(name, value)
        if number is not None:
            payload[name] = int(number) if name in ("epoch", "epochs") else number
    if "percent" not in payload and "epoch" in payload and payload.get("epochs"):
        payload["percent"] = round(100.0 * payload["epoch"] / payload["epochs"], 2)
    extra: Dict[str, float] = {}
    for name, value in metrics.items():
        number = _number(name, value)
        if number is None:
            continue
        if name == "valMetric" or name == "val_metric":
            payload["valMetric"] = number
        elif len(extra) < _MAX_METRICS:
            extra[name] = number
    if extra:
        payload["metrics"] = extra
    if message is not None:
        payload["message"] = str(message)[:500]
    if checkpoint is not None:
        payload["checkpoint"] = _checkpoint_name(checkpoint)
        _signals.checkpoint_reported()
    _emit(PROGRESS_PREFIX, payload)


def result(**outputs: Any) -> None:
    """Reports the node's output (the last call wins); downstream steps see it as ``upstream(id).result``."""
    _emit(RESULT_PREFIX, outputs)


class _Signals:
    """SIGTERM and checkpoint-now requests, observed without interrupting the training loop."""

    def __init__(self) -> None:
        self.installed = False
        self.terminating = False
        self.signal_request = False
        self._lock = threading.Lock()

    def install(self) -> None:
        with self._lock:
            if self.installed:
                return
            self.installed = True
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread; the file still works
        signal.signal(signal.SIGTERM, self._on_term)
        if hasattr(signal, "SIGUSR1"):
            signal.signal(signal.SIGUSR1, self._on_usr1)
            # Only now may the runner send SIGUSR1: its default action would kill the process.
            _emit(CAPABILITIES_PREFIX, {"checkpointSignal": "SIGUSR1"})

    def _on_term(self, signum: int, frame: Any) -> None:
        self.terminating = True

    def _on_usr1(self, signum: int, frame: Any) -> None:
        self.signal_request = True

    def file_request(self) -> bool:
        path = os.environ.get("TRAINYARD_CHECKPOINT_NOW_FILE")
        return bool(path) and os.path.exists(path)

    def checkpoint_reported(self) -> None:
        """A reported checkpoint answers a pending request."""
        if self.signal_request or self.file_request():
            clear_checkpoint_request()


_signals = _Signals()


def handle_signals() -> None:
    """Installs the SIGTERM / SIGUSR1 handlers now (call it early: before, SIGTERM ends the process)."""
    _signals.install()


def checkpoint_requested() -> bool:
    """True when a preemption notice asked for a checkpoint now (SIGUSR1 or the request file)."""
    _signals.install()
    return _signals.signal_request or _signals.file_request()


def stopping() -> bool:
    """True once the process got SIGTERM (pause-now, cancel, worker drain): checkpoint and ``stop()``."""
    _signals.install()
    return _signals.terminating


def should_checkpoint() -> bool:
    """True when the script should write and report a checkpoint now (``stopping() or checkpoint_requested()``)."""
    return stopping() or checkpoint_requested()


def clear_checkpoint_request() -> None:
    """Marks a checkpoint-now request as answered (``progress(checkpoint=…)`` does this for you)."""
    _signals.signal_request = False
    path = os.environ.get("TRAINYARD_CHECKPOINT_NOW_FILE")
    if path:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def stop(code: int = STOPPED_EXIT_CODE) -> NoReturn:
    """Ends the process after SIGTERM, so the step is retried / resumed (not reported as completed)."""
    sys.stdout.flush()
    raise SystemExit(code)
