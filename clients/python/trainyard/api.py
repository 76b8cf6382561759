"""Module functions over the default client (``TRAINYARD_URL`` / ``TRAINYARD_API_KEY``): the seeds' API.

    from trainyard import submit_job, get_job_status, cancel_job, list_jobs
    job_id = submit_job(job_type="train", config_path="configs/coco_frcnn.yaml", gpu_count=2)
"""

from __future__ import annotations

from typing import Any, Iterator, List, Mapping, Optional

from . import _models as m
from .client import JobView, default_client


def submit_job(job_type, config_path=None, output_dir=None, gpu_count=None, gpu_memory_gb=None, priority=None, tags=None, *, config=None, name=None, params=None, params_file=None, idempotency_key=None) -> str:
    """Submits one step as a job; returns its id.

    ``job_type``: a built-in type (``JobType.COMMAND``, …), a step template's name, or a built-in
    name that one of this deployment's templates aliases (``"train"`` → the team's trainer).
    ``config_path`` is read here, on the caller's machine (YAML or JSON), and sent as the node's
    config (``config=`` fields win). ``priority``: the seeds' 0–10 scale, see ``map_priority``.
    """
    return default_client().submit_job(job_type, config_path, output_dir, gpu_count, gpu_memory_gb, priority, tags, config=config, name=name, params=params, params_file=params_file, idempotency_key=idempotency_key)


def submit(spec: Mapping[str, Any], *, idempotency_key: Optional[str] = None) -> m.JobCreated:
    """Submits a spec dict (DAG or single-job form)."""
    return default_client().submit(spec, idempotency_key=idempotency_key)


def validate_job(spec: Mapping[str, Any]) -> m.ValidateResult:
    return default_client().validate(spec)


def get_job(job_id: str) -> JobView:
    return default_client().get_job(job_id)


def get_job_status(job_id: str) -> JobView:
    """The job's view (``status["status"]``, ``status.nodes``, …)."""
    return default_client().get_job_status(job_id)


def get_job_spec(job_id: str) -> m.JobSpecView:
    return default_client().get_job_spec(job_id)


def cancel_job(job_id: str) -> bool:
    return default_client().cancel_job(job_id)


def pause_job(job_id: str, mode: str = "drain") -> m.ControlOutcome:
    return default_client().pause_job(job_id, mode)


def resume_job(job_id: str) -> m.ControlOutcome:
    return default_client().resume_job(job_id)


def recover_job(job_id: str, from_node: Optional[str] = None) -> m.ControlOutcome:
    return default_client().recover_job(job_id, from_node=from_node)


def rerun_job(job_id: str, overrides: Optional[Mapping[str, Any]] = None, *, from_node: Optional[str] = None) -> m.RerunCreated:
    """A new job from a finished job's spec with ``overrides``; unchanged nodes are ``cached`` from it."""
    return default_client().rerun_job(job_id, overrides, from_node=from_node)


def list_jobs(status=None, job_type=None, tag=None, *, recoverable: Optional[bool] = None, owner: Optional[str] = None, page_size: int = 50) -> Iterator[m.JobSummary]:
    """Iterates over the caller's jobs (all pages), e.g. ``list_jobs(status=JobStatus.RUNNING, job_type=JobType.TRAIN)``."""
    return default_client().list_jobs(status, job_type, tag, recoverable=recoverable, owner=owner, page_size=page_size)


def list_nodes(job_id: str, status=None, *, page_size: int = 500, page_token: Optional[str] = None) -> m.JobNodePage:
    """One page of the job's nodes, e.g. ``list_nodes(job_id, status=[NodeStatus.FAILED, NodeStatus.CANCELLED])``."""
    return default_client().list_nodes(job_id, status, page_size=page_size, page_token=page_token)


def iter_nodes(job_id: str, status=None, *, page_size: int = 500) -> Iterator[m.NodeView]:
    """Every node of the job (all pages) — a 50,000-node job's view lists only a summary."""
    return default_client().iter_nodes(job_id, status, page_size=page_size)


def watch(job_id: str, *, timeout: Optional[float] = None) -> Iterator[Any]:
    return default_client().watch(job_id, timeout=timeout)


def wait(job_id: str, *, timeout: Optional[float] = None, raise_on_failure: bool = False) -> JobView:
    return default_client().wait(job_id, timeout=timeout, raise_on_failure=raise_on_failure)


def logs(job_id: str, node: str, follow: bool = True, *, tail: Optional[int] = None) -> Iterator[str]:
    return default_client().logs(job_id, node, follow, tail=tail)


def list_artifacts(job_id: str) -> List[m.Artifact]:
    return default_client().list_artifacts(job_id)


def download(job_id: str, path: str, dest=None):
    return default_client().download(job_id, path, dest)


def node_metrics(job_id: str, node: str) -> m.NodeMetrics:
    """A node's metrics history (``.points``: epoch, loss, ``metrics`` by name; ``.keys``)."""
    return default_client().node_metrics(job_id, node)


def server_config() -> m.ServerConfig:
    return default_client().server_config()
