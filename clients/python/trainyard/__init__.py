"""Trainyard from Python.

- ``trainyard.step`` — the step kit for training scripts (standard library only).
- everything else — the HTTP client (``submit_job``, ``get_job_status``, ``Client``, ``JobDAG``, …),
  which needs httpx and pydantic. It is imported lazily, so ``from trainyard import step`` works in a
  training environment that has neither.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name → module that defines it (loaded on first use; PEP 562).
_LAZY = {
    "Client": "trainyard.client",
    "AsyncClient": "trainyard.client",
    "default_client": "trainyard.client",
    "set_default_client": "trainyard.client",
    "submit_job": "trainyard.api",
    "validate_job": "trainyard.api",
    "submit": "trainyard.api",
    "get_job": "trainyard.api",
    "get_job_status": "trainyard.api",
    "get_job_spec": "trainyard.api",
    "cancel_job": "trainyard.api",
    "pause_job": "trainyard.api",
    "resume_job": "trainyard.api",
    "recover_job": "trainyard.api",
    "rerun_job": "trainyard.api",
    "list_jobs": "trainyard.api",
    "watch": "trainyard.api",
    "wait": "trainyard.api",
    "logs": "trainyard.api",
    "list_nodes": "trainyard.api",
    "iter_nodes": "trainyard.api",
    "list_artifacts": "trainyard.api",
    "download": "trainyard.api",
    "node_metrics": "trainyard.api",
    "server_config": "trainyard.api",
    "Job": "trainyard.job",
    "JobDAG": "trainyard.job",
    "JobDefinition": "trainyard.job",
    "JobStatus": "trainyard.enums",
    "JobType": "trainyard.enums",
    "NodeStatus": "trainyard.enums",
    "map_priority": "trainyard.enums",
    "TrainyardError": "trainyard.errors",
    "ApiError": "trainyard.errors",
    "SpecValidationError": "trainyard.errors",
    "JobNotFoundError": "trainyard.errors",
    "ConflictError": "trainyard.errors",
    "AuthError": "trainyard.errors",
    "JobFailedError": "trainyard.errors",
}

__all__ = sorted(_LAZY) + ["step", "__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        if name == "step":
            return importlib.import_module("trainyard.step")
        raise AttributeError(f"module 'trainyard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return __all__
