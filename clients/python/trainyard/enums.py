"""Job statuses, node types and the priority mapping (the seeds' names)."""

from __future__ import annotations

from enum import Enum
from typing import Union


class JobStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


class NodeStatus(str, Enum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    WAITING_FOR_GPU = "waiting_for_gpu"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return self.value


class JobType(str, Enum):
    """The built-in step types. A deployment's step templates are plain strings (``job_type="team-train"``)."""

    DATASET = "dataset"
    SPLIT = "split"
    PREPROCESS = "preprocess"
    TRAIN = "train"
    EVALUATE = "evaluate"
    EXPORT = "export"
    VISUALIZE = "visualize"
    COMMAND = "command"
    SELECT = "select"

    def __str__(self) -> str:
        return self.value


def map_priority(priority: Union[int, str, None]) -> Union[int, None]:
    """The seeds' priority (0–10, larger = more urgent; 5 = normal) → Trainyard's 1 (highest) … 5 (lowest).

    ======  =========
    seed    Trainyard
    ======  =========
    9–10    1
    7–8     2
    4–6     3 (the default)
    2–3     4
    0–1     5
    ======  =========

    Names work too: ``"critical"`` 1, ``"high"`` 2, ``"normal"`` 3, ``"low"`` 4, ``"lowest"`` 5.
    """
    if priority is None:
        return None
    if isinstance(priority, str):
        names = {"critical": 1, "urgent": 1, "high": 2, "normal": 3, "medium": 3, "low": 4, "lowest": 5}
        if priority.lower() not in names:
            raise ValueError(f"priority {priority!r}: use 0–10 (larger = more urgent) or one of {', '.join(names)}")
        return names[priority.lower()]
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 10:
        raise ValueError(f"priority {priority!r}: use an integer 0–10 (larger = more urgent; 5 = normal)")
    for floor, mapped in ((9, 1), (7, 2), (4, 3), (2, 4), (0, 5)):
        if priority >= floor:
            return mapped
    return 3  # unreachable
