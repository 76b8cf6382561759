"""Exceptions: every API error carries its code, message, HTTP status and every field path."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class TrainyardError(Exception):
    """Base class of everything this package raises on purpose."""


class ApiError(TrainyardError):
    """The API answered with an error: ``{"error": {"code", "message", "details": [{path, message}]}}``."""

    def __init__(self, status: int, code: str, message: str, details: Optional[List[Dict[str, str]]] = None, request_id: Optional[str] = None):
        self.status = status
        self.code = code
        self.message = message
        self.details: List[Dict[str, str]] = list(details or [])
        self.request_id = request_id
        lines = [f"{code}: {message}"] + [f"  {d.get('path') or '(input)'}: {d.get('message')}" for d in self.details]
        super().__init__("\n".join(lines))

    @property
    def paths(self) -> List[str]:
        """The JSON path of every problem, e.g. ``["nodes[1].config.testSize"]``."""
        return [d.get("path", "") for d in self.details]

    @classmethod
    def from_response(cls, status: int, body: Any, text: str = "") -> "ApiError":
        err = body.get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict):
            return _CLASSES.get(status, cls)(status, f"http_{status}", text[:500] or "request failed")
        kind = _CLASSES.get(status, cls)
        return kind(status, str(err.get("code", f"http_{status}")), str(err.get("message", "")), err.get("details") or [], err.get("requestId"))


class SpecValidationError(ApiError):
    """400: the request or the job spec is invalid; ``paths`` names every bad field."""


class AuthError(ApiError):
    """401 / 403: missing or wrong API key, or not allowed."""


class JobNotFoundError(ApiError):
    """404: no such job (or another owner's)."""


class ConflictError(ApiError):
    """409: an illegal transition (resume when not paused …) or an idempotency key reused with another spec."""


_CLASSES = {400: SpecValidationError, 413: SpecValidationError, 401: AuthError, 403: AuthError, 404: JobNotFoundError, 409: ConflictError}


class JobFailedError(TrainyardError):
    """``JobDefinition.execute()`` / ``wait(raise_on_failure=True)``: the job ended failed or cancelled."""

    def __init__(self, job: Any):
        self.job = job
        failed = [n for n in job.nodes if n.status == "failed"]
        why = "; ".join(f"{n.id}: {(n.error.message if n.error else n.lastFailure or 'failed').splitlines()[0]}" for n in failed)
        super().__init__(f"job {job.id} {job.status}" + (f" ({why})" if why else ""))
