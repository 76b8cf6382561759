"""Building jobs in Python: ``Job`` (one node), ``JobDAG`` (the graph) and ``JobDefinition`` (the job).

    pre = Job(job_type=JobType.PREPROCESS, config={"input_dir": "/data"})
    train = Job(job_type=JobType.TRAIN, config={"config_path": "train.yaml"}, dependencies=[pre.id])
    dag = JobDAG(); dag.add_job(pre); dag.add_job(train)
    dag.get_execution_order()          # [[pre.id], [train.id]]: stages, each can run at once
    results = JobDefinition(name="exp", dag=dag).execute()   # {node id: NodeResult}
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from .client import AsyncClient, Client, JobView, default_client
from .enums import map_priority
from .errors import JobFailedError
from .files import read_mapping

__all__ = ["Job", "JobDAG", "JobDefinition", "NodeResult"]

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _new_id(job_type: str) -> str:
    base = re.sub(r"[^a-z0-9_-]+", "-", str(job_type).lower()).strip("-_") or "node"
    return f"{base[:48]}-{uuid.uuid4().hex[:8]}"


class Job:
    """One node of a job. ``id`` defaults to ``<job_type>-<8 hex>``; ``dependencies`` are other Jobs' ids (or Jobs)."""

    def __init__(
        self,
        job_type: Any,
        config: Optional[Mapping[str, Any]] = None,
        dependencies: Optional[Iterable[Union[str, "Job"]]] = None,
        *,
        id: Optional[str] = None,
        config_path: Optional[Union[str, "os.PathLike[str]"]] = None,
        params: Optional[Mapping[str, Any]] = None,
        params_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        gpu_count: Optional[int] = None,
        gpu_memory_gb: Optional[float] = None,
        retry: Optional[Mapping[str, Any]] = None,
        timeout: Optional[Mapping[str, Any]] = None,
        estimated_duration: Optional[str] = None,
    ):
        self.job_type = str(getattr(job_type, "value", job_type))
        self.id = id or _new_id(self.job_type)
        if not _ID_RE.match(self.id) or len(self.id) > 64:
            raise ValueError(f"Job id {self.id!r}: must match [a-z0-9][a-z0-9_-]* (at most 64 characters)")
        self.config: Dict[str, Any] = dict(config or {})
        self.config_path = config_path
        self.params = dict(params) if params is not None else None
        self.params_file = params_file
        self.dependencies: List[str] = [d.id if isinstance(d, Job) else str(d) for d in (dependencies or [])]
        self.gpu_count = gpu_count
        self.gpu_memory_gb = gpu_memory_gb
        self.retry = dict(retry) if retry else None
        self.timeout = dict(timeout) if timeout else None
        self.estimated_duration = estimated_duration

    def to_node(self) -> Dict[str, Any]:
        """The node in the API's DAG form; ``config_path`` / ``params_file`` are read here, on this machine."""
        node: Dict[str, Any] = {"id": self.id, "type": self.job_type}
        if self.dependencies:
            node["dependsOn"] = list(self.dependencies)
        config = {**(read_mapping(self.config_path, f"{self.id}: config_path") if self.config_path else {}), **self.config}
        if config or self.config_path:
            node["config"] = config
        if self.params is not None or self.params_file is not None:
            node["params"] = {**(read_mapping(self.params_file, f"{self.id}: params_file") if self.params_file else {}), **(self.params or {})}
        resources = {k: v for k, v in (("gpus", self.gpu_count), ("gpuMemoryGb", self.gpu_memory_gb)) if v is not None}
        if resources:
            node["resources"] = resources
        if self.retry:
            node["retry"] = self.retry
        if self.timeout:
            node["timeout"] = self.timeout
        if self.estimated_duration:
            node["estimatedDuration"] = self.estimated_duration
        return node

    def __repr__(self) -> str:
        return f"Job({self.job_type!r}, id={self.id!r}, dependencies={self.dependencies})"


class JobDAG:
    """The graph of a job's nodes."""

    def __init__(self, jobs: Optional[Iterable[Job]] = None):
        self._jobs: Dict[str, Job] = {}
        for j in jobs or []:
            self.add_job(j)

    def add_job(self, job: Job) -> "JobDAG":
        if job.id in self._jobs:
            raise ValueError(f"duplicate job id {job.id!r}")
        self._jobs[job.id] = job
        return self

    @property
    def jobs(self) -> List[Job]:
        return list(self._jobs.values())

    def __len__(self) -> int:
        return len(self._jobs)

    def get_execution_order(self) -> List[List[str]]:
        """Stages in dependency order (each stage's nodes can run at once), as the server plans them.

        Raises ``ValueError`` naming an unknown dependency or a cycle.
        """
        for j in self._jobs.values():
            for d in j.dependencies:
                if d not in self._jobs:
                    raise ValueError(f"job {j.id!r} depends on unknown job {d!r}")
        level: Dict[str, int] = {}
        visiting: List[str] = []

        def depth(jid: str) -> int:
            if jid in level:
                return level[jid]
            if jid in visiting:
                cycle = visiting[visiting.index(jid) :] + [jid]
                raise ValueError(f"dependency cycle: {' -> '.join(cycle)}")
            visiting.append(jid)
            deps = self._jobs[jid].dependencies
            level[jid] = 1 + max((depth(d) for d in deps), default=-1)
            visiting.pop()
            return level[jid]

        for jid in self._jobs:
            depth(jid)
        stages: List[List[str]] = [[] for _ in range(1 + max(level.values(), default=-1))]
        for jid in self._jobs:  # insertion order within a stage
            stages[level[jid]].append(jid)
        return stages

    def topological_order(self) -> List[str]:
        """The node ids in one valid run order (stages flattened)."""
        return [jid for stage in self.get_execution_order() for jid in stage]

    def to_nodes(self) -> List[Dict[str, Any]]:
        self.get_execution_order()  # fail here, with the cycle named, not on the server
        return [j.to_node() for j in self._jobs.values()]


@dataclass
class NodeResult:
    """What a node produced: its status, its summary (``result`` = a command step's TRAINYARD_RESULT), its artifacts."""

    node_id: str
    type: str
    status: str
    summary: Dict[str, Any] = field(default_factory=dict)
    artifacts: List[Dict[str, Any]] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def result(self) -> Dict[str, Any]:
        value = self.summary.get("result")
        return value if isinstance(value, dict) else {}


def _results(job: JobView) -> Dict[str, NodeResult]:
    out: Dict[str, NodeResult] = {}
    for n in job.nodes:
        output = n.output.model_dump() if n.output is not None else {}
        out[n.id] = NodeResult(
            node_id=n.id,
            type=n.type,
            status=n.status,
            summary=dict(output.get("summary") or {}),
            artifacts=list(output.get("artifacts") or []),
            error=(n.error.message if n.error else None),
        )
    return out


class JobDefinition:
    """A whole job: name, DAG and job-level settings. ``execute()`` submits it and returns each node's results."""

    def __init__(
        self,
        name: str,
        dag: JobDAG,
        description: Optional[str] = None,
        tags: Optional[Iterable[str]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        *,
        priority: Union[int, str, None] = None,
        parallelism: Optional[int] = None,
        failure_policy: Optional[str] = None,
        output_dir: Optional[str] = None,
        recovery_window: Optional[str] = None,
    ):
        self.name = name
        self.dag = dag
        self.description = description
        self.tags = sorted(set(tags)) if isinstance(tags, (set, frozenset)) else list(tags or [])
        self.metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
        self.priority = priority
        self.parallelism = parallelism
        self.failure_policy = failure_policy
        self.output_dir = output_dir
        self.recovery_window = recovery_window

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"name": self.name, "nodes": self.dag.to_nodes()}
        if self.description:
            spec["description"] = self.description
        if self.tags:
            spec["tags"] = self.tags
        if self.metadata:
            spec["metadata"] = self.metadata
        mapped = map_priority(self.priority)
        if mapped is not None:
            spec["priority"] = mapped
        for key, value in (("parallelism", self.parallelism), ("failurePolicy", self.failure_policy), ("recoveryWindow", self.recovery_window)):
            if value is not None:
                spec[key] = value
        if self.output_dir is not None:
            spec["outputDir"] = str(self.output_dir).lstrip("/")
        return spec

    def submit(self, client: Optional[Client] = None, *, idempotency_key: Optional[str] = None) -> str:
        return (client or default_client()).submit(self.to_spec(), idempotency_key=idempotency_key).id

    def execute(self, client: Optional[Client] = None, *, timeout: Optional[float] = None, idempotency_key: Optional[str] = None, raise_on_failure: bool = True) -> Dict[str, NodeResult]:
        """Submits, waits for the end, and returns ``{node id: NodeResult}`` (``JobFailedError`` if it did not complete)."""
        c = client or default_client()
        job_id = self.submit(c, idempotency_key=idempotency_key)
        self.job_id = job_id
        return _results(c.wait(job_id, timeout=timeout, raise_on_failure=raise_on_failure))

    async def execute_async(self, client: Optional[AsyncClient] = None, *, timeout: Optional[float] = None, idempotency_key: Optional[str] = None, raise_on_failure: bool = True) -> Dict[str, NodeResult]:
        """``execute()`` for asyncio: ``results = await job.execute_async()``."""
        own = client is None
        c = client or AsyncClient()
        try:
            created = await c.submit(self.to_spec(), idempotency_key=idempotency_key)
            self.job_id = created.id
            return _results(await c.wait(created.id, timeout=timeout, raise_on_failure=raise_on_failure))
        finally:
            if own:
                await c.aclose()
