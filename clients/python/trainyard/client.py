"""The HTTP client: ``Client`` (blocking) and ``AsyncClient`` over one Trainyard API.

Responses are parsed into the models generated from the API's OpenAPI document (``_models.py``);
errors become ``ApiError`` subclasses carrying the API's code and every field path.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Mapping, Optional, Sequence, Type, TypeVar, Union

import httpx
from httpx_sse import aconnect_sse, connect_sse
from pydantic import BaseModel

from . import _models as m
from .enums import TERMINAL_STATUSES, map_priority
from .errors import ApiError, ConflictError, TrainyardError
from .files import read_mapping

__all__ = ["Client", "AsyncClient", "default_client", "set_default_client", "JobView", "build_single_job"]

DEFAULT_URL = "http://127.0.0.1:8080"
T = TypeVar("T", bound=BaseModel)


class JobView(m.JobView):
    """A job's status: the API's ``Job`` view; also readable like a dict (``status["status"]``)."""

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def node(self, node_id: str) -> m.NodeView:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"job {self.id} has no node {node_id!r}")

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATUSES


def build_single_job(
    job_type: str,
    config_path: Optional[Union[str, "os.PathLike[str]"]] = None,
    output_dir: Optional[str] = None,
    gpu_count: Optional[int] = None,
    gpu_memory_gb: Optional[float] = None,
    priority: Union[int, str, None] = None,
    tags: Optional[Sequence[str]] = None,
    *,
    config: Optional[Mapping[str, Any]] = None,
    name: Optional[str] = None,
    params: Optional[Mapping[str, Any]] = None,
    params_file: Optional[Union[str, "os.PathLike[str]"]] = None,
) -> Dict[str, Any]:
    """The single-job form for ``submit_job``'s arguments; files are read here, on the caller's machine."""
    body: Dict[str, Any] = {"jobType": str(job_type)}
    merged: Dict[str, Any] = {}
    if config_path is not None:
        merged.update(read_mapping(config_path, "config_path"))
    if config:
        merged.update(config)  # inline fields win, as with configPath on the server
    if config_path is not None or config is not None:
        body["config"] = merged
    if params_file is not None or params is not None:
        body["params"] = {**(read_mapping(params_file, "params_file") if params_file is not None else {}), **(params or {})}
    if name is not None:
        body["name"] = name
    if output_dir is not None:
        # The seeds passed absolute folders ("/outputs/exp_001"); Trainyard's outputDir is a folder
        # under the artifact root, so the leading "/" is dropped ("outputs/exp_001").
        body["outputDir"] = str(output_dir).lstrip("/") or "runs"
    if gpu_count is not None:
        body["gpuCount"] = gpu_count
    if gpu_memory_gb is not None:
        body["gpuMemoryGb"] = gpu_memory_gb
    mapped = map_priority(priority)
    if mapped is not None:
        body["priority"] = mapped
    if tags is not None:
        body["tags"] = [str(t) for t in tags]
    return body


def _env(url: Optional[str], api_key: Optional[str]) -> tuple:
    url = (url or os.environ.get("TRAINYARD_URL") or DEFAULT_URL).rstrip("/")
    key = api_key if api_key is not None else os.environ.get("TRAINYARD_API_KEY")
    return url, key


def _headers(api_key: Optional[str]) -> Dict[str, str]:
    h = {"Accept": "application/json", "User-Agent": "trainyard-python/0.1.0"}
    if api_key:
        h["X-API-Key"] = api_key
    return h


def _raise_for(resp: httpx.Response) -> None:
    if resp.is_success:
        return
    try:
        body = resp.json()
    except ValueError:
        body = None
    raise ApiError.from_response(resp.status_code, body, resp.text)


def _parse(model: Type[T], resp: httpx.Response) -> T:
    _raise_for(resp)
    return model.model_validate(resp.json())


def _rerun_body(overrides: Optional[Mapping[str, Any]], from_node: Optional[str]) -> Dict[str, Any]:
    body: Dict[str, Any] = {}
    if overrides:
        body["overrides"] = dict(overrides)
    if from_node is not None:
        body["fromNode"] = from_node
    return body


def _list_params(status, job_type, tag, recoverable, owner, page_size, page_token) -> Dict[str, str]:
    q: Dict[str, str] = {"pageSize": str(page_size)}
    if status is not None:
        q["status"] = str(getattr(status, "value", status))
    if job_type is not None:
        q["type"] = str(getattr(job_type, "value", job_type))
    if tag is not None:
        q["tag"] = tag
    if recoverable is not None:
        q["recoverable"] = "true" if recoverable else "false"
    if owner is not None:
        q["owner"] = owner
    if page_token:
        q["pageToken"] = page_token
    return q


def _node_params(status, page_size: int, page_token: Optional[str]) -> Dict[str, str]:
    """The query of GET /v1/jobs/:id/nodes: ``status`` one NodeStatus (or its value) or several."""
    q: Dict[str, str] = {"pageSize": str(page_size)}
    if status is not None:
        values = [status] if isinstance(status, str) else list(status)
        q["status"] = ",".join(str(getattr(v, "value", v)) for v in values)
    if page_token:
        q["pageToken"] = page_token
    return q


def _stream_message(data: str) -> Any:
    """One stream event as its own model (``type`` says which: snapshot, node_status, …)."""
    return m.StreamMessage.model_validate(json.loads(data)).root


_FINAL_EVENTS = {"job_completed", "job_failed", "job_cancelled"}


class Client:
    """A blocking client. ``url`` / ``api_key`` default to ``TRAINYARD_URL`` / ``TRAINYARD_API_KEY``."""

    def __init__(self, url: Optional[str] = None, api_key: Optional[str] = None, *, timeout: float = 30.0, transport: Optional[httpx.BaseTransport] = None):
        self.url, self.api_key = _env(url, api_key)
        self._http = httpx.Client(base_url=self.url, headers=_headers(self.api_key), timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    # ---- submit ----

    def submit(self, spec: Mapping[str, Any], *, idempotency_key: Optional[str] = None) -> m.JobCreated:
        """Submits a spec (DAG form or single-job form, as a dict); returns ``{id, created, specHash, …}``."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return _parse(m.JobCreated, self._http.post("/v1/jobs", json=dict(spec), headers=headers))

    def submit_job(self, job_type: str, config_path=None, output_dir=None, gpu_count=None, gpu_memory_gb=None, priority=None, tags=None, *, config=None, name=None, params=None, params_file=None, idempotency_key: Optional[str] = None) -> str:
        """Submits one step as a job (the seeds' call); returns the job id. See ``build_single_job``."""
        body = build_single_job(job_type, config_path, output_dir, gpu_count, gpu_memory_gb, priority, tags, config=config, name=name, params=params, params_file=params_file)
        return self.submit(body, idempotency_key=idempotency_key).id

    def validate(self, spec: Mapping[str, Any]) -> m.ValidateResult:
        """The plan of a spec, or ``SpecValidationError`` with every problem; starts nothing."""
        return _parse(m.ValidateResult, self._http.post("/v1/jobs/validate", json=dict(spec)))

    # ---- read ----

    def get_job(self, job_id: str) -> JobView:
        return _parse(JobView, self._http.get(f"/v1/jobs/{_q(job_id)}"))

    def get_job_status(self, job_id: str) -> JobView:
        """The job's view: ``status["status"]``, progress, and every node with live progress."""
        return self.get_job(job_id)

    def get_job_spec(self, job_id: str) -> m.JobSpecView:
        return _parse(m.JobSpecView, self._http.get(f"/v1/jobs/{_q(job_id)}/spec"))

    def list_jobs(self, status=None, job_type=None, tag=None, *, recoverable: Optional[bool] = None, owner: Optional[str] = None, page_size: int = 50) -> Iterator[m.JobSummary]:
        """Iterates over the caller's jobs, newest first, fetching pages as it goes."""
        token: Optional[str] = None
        while True:
            page = _parse(m.JobPage, self._http.get("/v1/jobs", params=_list_params(status, job_type, tag, recoverable, owner, page_size, token)))
            yield from page.jobs
            token = page.nextPageToken
            if not token:
                return

    def list_nodes(self, job_id: str, status=None, *, page_size: int = 500, page_token: Optional[str] = None) -> m.JobNodePage:
        """One page of the job's nodes in spec order (``.nodes``, ``.total``, ``.nextPageToken``); ``status``: one NodeStatus or several."""
        return _parse(m.JobNodePage, self._http.get(f"/v1/jobs/{_q(job_id)}/nodes", params=_node_params(status, page_size, page_token)))

    def iter_nodes(self, job_id: str, status=None, *, page_size: int = 500) -> Iterator[m.NodeView]:
        """Every node of the job (of ``status``), fetching pages as it goes — for jobs whose view is a summary."""
        token: Optional[str] = None
        while True:
            page = self.list_nodes(job_id, status, page_size=page_size, page_token=token)
            yield from page.nodes
            token = page.nextPageToken
            if not token:
                return

    def server_config(self) -> m.ServerConfig:
        """The deployment's settings: node types, step templates, pools, limits."""
        return _parse(m.ServerConfig, self._http.get("/v1/config"))

    # ---- control ----

    def _control(self, job_id: str, action: str, body: Dict[str, Any]) -> m.ControlOutcome:
        return _parse(m.ControlOutcome, self._http.post(f"/v1/jobs/{_q(job_id)}/{action}", json=body))

    def cancel_job(self, job_id: str) -> bool:
        """True when the job is being cancelled; False when it already ended (nothing to cancel)."""
        try:
            self._control(job_id, "cancel", {})
            return True
        except ConflictError:
            return False

    def pause_job(self, job_id: str, mode: str = "drain") -> m.ControlOutcome:
        """``drain``: no new step starts; ``now``: running steps checkpoint, stop and free their GPUs."""
        return self._control(job_id, "pause", {"mode": mode})

    def resume_job(self, job_id: str) -> m.ControlOutcome:
        return self._control(job_id, "resume", {})

    def recover_job(self, job_id: str, from_node: Optional[str] = None) -> m.ControlOutcome:
        """Reruns failed + skipped nodes (or ``from_node`` and everything below it); completed outputs are reused."""
        return self._control(job_id, "recover", {"fromNode": from_node} if from_node else {})

    def rerun_job(self, job_id: str, overrides: Optional[Mapping[str, Any]] = None, *, from_node: Optional[str] = None) -> m.RerunCreated:
        """Starts a NEW job from a finished job's spec with ``overrides`` (``{"train.config.epochs": 80}``, the paths of
        ``--set``); nodes the change does not reach are ``cached`` from the old job, ``from_node`` and below run again.
        Returns ``{id, rerunOf, …}``."""
        return _parse(m.RerunCreated, self._http.post(f"/v1/jobs/{_q(job_id)}/rerun", json=_rerun_body(overrides, from_node)))

    # ---- schedules (each run is a normal job of the caller) ----

    def create_schedule(self, name: str, job: Optional[Mapping[str, Any]] = None, *, from_job: Optional[str] = None, cron: Optional[str] = None, every: Optional[str] = None, timezone: Optional[str] = None, jitter: Optional[str] = None, overlap: Optional[str] = None, catchup_window: Optional[str] = None, paused: bool = False, note: Optional[str] = None) -> m.ScheduleView:
        """Runs ``job`` (a spec, or the spec of your job ``from_job``) on ``cron`` or ``every``; overlap: skip | bufferOne | bufferAll | cancelOther | allowAll."""
        body: Dict[str, Any] = {"name": name, "paused": paused}
        for key, value in (("job", job), ("fromJob", from_job), ("cron", cron), ("every", every), ("timezone", timezone), ("jitter", jitter), ("overlap", overlap), ("catchupWindow", catchup_window), ("note", note)):
            if value is not None:
                body[key] = dict(value) if key == "job" else value
        return _parse(m.ScheduleView, self._http.post("/v1/schedules", json=body))

    def list_schedules(self, *, owner: Optional[str] = None) -> List[m.ScheduleSummary]:
        return _parse(m.SchedulePage, self._http.get("/v1/schedules", params={"owner": owner} if owner else {})).schedules

    def get_schedule(self, name: str) -> m.ScheduleView:
        """Timing, policies, next runs and recent runs (job ids with their outcome)."""
        return _parse(m.ScheduleView, self._http.get(f"/v1/schedules/{_q(name)}"))

    def update_schedule(self, name: str, **change: Any) -> m.ScheduleView:
        """Changes what or when it runs: job=, from_job=, cron=, every=, timezone=, jitter=, overlap=, catchup_window=."""
        names = {"from_job": "fromJob", "catchup_window": "catchupWindow"}
        return _parse(m.ScheduleView, self._http.put(f"/v1/schedules/{_q(name)}", json={names.get(k, k): v for k, v in change.items() if v is not None}))

    def pause_schedule(self, name: str, note: Optional[str] = None) -> m.ScheduleOutcome:
        return _parse(m.ScheduleOutcome, self._http.post(f"/v1/schedules/{_q(name)}/pause", json={"note": note} if note else {}))

    def unpause_schedule(self, name: str, note: Optional[str] = None) -> m.ScheduleOutcome:
        return _parse(m.ScheduleOutcome, self._http.post(f"/v1/schedules/{_q(name)}/unpause", json={"note": note} if note else {}))

    def trigger_schedule(self, name: str, overlap: Optional[str] = None) -> m.ScheduleOutcome:
        """Starts one run now."""
        return _parse(m.ScheduleOutcome, self._http.post(f"/v1/schedules/{_q(name)}/trigger", json={"overlap": overlap} if overlap else {}))

    def backfill_schedule(self, name: str, start: str, end: str, overlap: Optional[str] = None) -> m.ScheduleOutcome:
        """Starts the runs the schedule would have started in [start, end) (ISO times)."""
        body: Dict[str, Any] = {"start": start, "end": end, **({"overlap": overlap} if overlap else {})}
        return _parse(m.ScheduleOutcome, self._http.post(f"/v1/schedules/{_q(name)}/backfill", json=body))

    def delete_schedule(self, name: str) -> m.ScheduleOutcome:
        """Deletes it; runs already started continue as jobs."""
        return _parse(m.ScheduleOutcome, self._http.delete(f"/v1/schedules/{_q(name)}"))

    # ---- credits ----

    def account(self, owner: Optional[str] = None) -> m.AccountView:
        """Your credit account (admin keys: ``owner``'s): balance, reserved, totals, the newest entries; ``enabled`` is False when credits are off."""
        return _parse(m.AccountView, self._http.get(f"/v1/accounts/{_q(owner)}" if owner else "/v1/account"))

    def account_entries(self, owner: Optional[str] = None, *, page_size: int = 50) -> Iterator[m.LedgerEntry]:
        """Every ledger entry, newest first, page by page."""
        path = f"/v1/accounts/{_q(owner)}/entries" if owner else "/v1/account/entries"
        token: Optional[str] = None
        while True:
            params = {"pageSize": str(page_size), **({"pageToken": token} if token else {})}
            page = _parse(m.EntryPage, self._http.get(path, params=params))
            yield from page.entries
            token = page.nextPageToken
            if not token:
                return

    def grant_credits(self, owner: str, amount: float, reason: str, *, grant_id: Optional[str] = None) -> m.GrantResult:
        """Admin: adds ``amount`` credits to ``owner``; the same ``grant_id`` is applied once."""
        body: Dict[str, Any] = {"amount": amount, "reason": reason, **({"grantId": grant_id} if grant_id else {})}
        return _parse(m.GrantResult, self._http.post(f"/v1/accounts/{_q(owner)}/grants", json=body))

    # ---- follow ----

    def watch(self, job_id: str, *, timeout: Optional[float] = None) -> Iterator[Any]:
        """The job's events as they happen (SSE): snapshot, node_status, node_progress, … job_completed.

        Ends after the job's final event (job_completed / job_failed / job_cancelled).
        """
        with connect_sse(self._http, "GET", f"/v1/jobs/{_q(job_id)}/events", timeout=httpx.Timeout(timeout, connect=10.0)) as source:
            _raise_for(source.response)
            for event in source.iter_sse():
                if not event.data:
                    continue
                msg = _stream_message(event.data)
                yield msg
                if msg.type in _FINAL_EVENTS:
                    return

    def wait(self, job_id: str, *, timeout: Optional[float] = None, raise_on_failure: bool = False) -> JobView:
        """Blocks until the job ends; returns its final view (``JobFailedError`` if asked and it did not complete)."""
        for _ in self.watch(job_id, timeout=timeout):
            pass
        job = self.get_job(job_id)
        if raise_on_failure and job.status != "completed":
            from .errors import JobFailedError

            raise JobFailedError(job)
        return job

    def logs(self, job_id: str, node: str, follow: bool = True, *, tail: Optional[int] = None) -> Iterator[str]:
        """A node's stdout/stderr, line by line; ``follow`` keeps streaming until the node is done."""
        params: Dict[str, str] = {"node": node, "follow": "true" if follow else "false"}
        if tail:
            params["tail"] = str(tail)
        with self._http.stream("GET", f"/v1/jobs/{_q(job_id)}/logs", params=params, timeout=httpx.Timeout(None, connect=10.0)) as resp:
            if not resp.is_success:
                resp.read()
                _raise_for(resp)
            yield from resp.iter_lines()

    # ---- files ----

    def list_artifacts(self, job_id: str) -> List[m.Artifact]:
        """Every artifact of the job, page after page (a page holds up to 1,000)."""
        out: List[m.Artifact] = []
        params: Dict[str, str] = {}
        while True:
            page = _parse(m.ArtifactList, self._http.get(f"/v1/jobs/{_q(job_id)}/artifacts", params=params))
            out.extend(page.artifacts)
            if not page.nextPageToken:
                return out
            params = {"pageToken": page.nextPageToken}

    def download(self, job_id: str, path: str, dest: Optional[Union[str, "os.PathLike[str]"]] = None) -> Union[bytes, Path]:
        """An artifact's bytes, or written to ``dest`` (a file, or a folder keeping the artifact's name)."""
        rel = path.split(f"{job_id}/", 1)[1] if f"{job_id}/" in path else path
        with self._http.stream("GET", f"/v1/jobs/{_q(job_id)}/artifacts/{rel}") as resp:
            if not resp.is_success:
                resp.read()
                _raise_for(resp)
            if dest is None:
                return resp.read()
            target = Path(dest)
            if target.is_dir():
                target = target / Path(rel).name
            tmp = target.with_name(target.name + ".part")
            with open(tmp, "wb") as f:
                for chunk in resp.iter_bytes():
                    f.write(chunk)
            os.replace(tmp, target)
            return target

    def node_metrics(self, job_id: str, node: str) -> m.NodeMetrics:
        """The node's metrics history: every progress report (epoch, loss, any numeric metric), oldest first."""
        return _parse(m.NodeMetrics, self._http.get(f"/v1/jobs/{_q(job_id)}/nodes/{_q(node)}/metrics"))


class AsyncClient:
    """The same operations for asyncio (``await client.submit_job(...)``, ``async for e in client.watch(id)``)."""

    def __init__(self, url: Optional[str] = None, api_key: Optional[str] = None, *, timeout: float = 30.0, transport: Optional[httpx.AsyncBaseTransport] = None):
        self.url, self.api_key = _env(url, api_key)
        self._http = httpx.AsyncClient(base_url=self.url, headers=_headers(self.api_key), timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def submit(self, spec: Mapping[str, Any], *, idempotency_key: Optional[str] = None) -> m.JobCreated:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return _parse(m.JobCreated, await self._http.post("/v1/jobs", json=dict(spec), headers=headers))

    async def submit_job(self, job_type: str, config_path=None, output_dir=None, gpu_count=None, gpu_memory_gb=None, priority=None, tags=None, *, config=None, name=None, params=None, params_file=None, idempotency_key: Optional[str] = None) -> str:
        body = build_single_job(job_type, config_path, output_dir, gpu_count, gpu_memory_gb, priority, tags, config=config, name=name, params=params, params_file=params_file)
        return (await self.submit(body, idempotency_key=idempotency_key)).id

    async def get_job(self, job_id: str) -> JobView:
        return _parse(JobView, await self._http.get(f"/v1/jobs/{_q(job_id)}"))

    get_job_status = get_job

    async def list_jobs(self, status=None, job_type=None, tag=None, *, recoverable: Optional[bool] = None, owner: Optional[str] = None, page_size: int = 50) -> AsyncIterator[m.JobSummary]:
        token: Optional[str] = None
        while True:
            page = _parse(m.JobPage, await self._http.get("/v1/jobs", params=_list_params(status, job_type, tag, recoverable, owner, page_size, token)))
            for job in page.jobs:
                yield job
            token = page.nextPageToken
            if not token:
                return

    async def list_nodes(self, job_id: str, status=None, *, page_size: int = 500, page_token: Optional[str] = None) -> m.JobNodePage:
        return _parse(m.JobNodePage, await self._http.get(f"/v1/jobs/{_q(job_id)}/nodes", params=_node_params(status, page_size, page_token)))

    async def iter_nodes(self, job_id: str, status=None, *, page_size: int = 500) -> AsyncIterator[m.NodeView]:
        token: Optional[str] = None
        while True:
            page = await self.list_nodes(job_id, status, page_size=page_size, page_token=token)
            for node in page.nodes:
                yield node
            token = page.nextPageToken
            if not token:
                return

    async def _control(self, job_id: str, action: str, body: Dict[str, Any]) -> m.ControlOutcome:
        return _parse(m.ControlOutcome, await self._http.post(f"/v1/jobs/{_q(job_id)}/{action}", json=body))

    async def cancel_job(self, job_id: str) -> bool:
        try:
            await self._control(job_id, "cancel", {})
            return True
        except ConflictError:
            return False

    async def pause_job(self, job_id: str, mode: str = "drain") -> m.ControlOutcome:
        return await self._control(job_id, "pause", {"mode": mode})

    async def resume_job(self, job_id: str) -> m.ControlOutcome:
        return await self._control(job_id, "resume", {})

    async def recover_job(self, job_id: str, from_node: Optional[str] = None) -> m.ControlOutcome:
        return await self._control(job_id, "recover", {"fromNode": from_node} if from_node else {})

    async def rerun_job(self, job_id: str, overrides: Optional[Mapping[str, Any]] = None, *, from_node: Optional[str] = None) -> m.RerunCreated:
        return _parse(m.RerunCreated, await self._http.post(f"/v1/jobs/{_q(job_id)}/rerun", json=_rerun_body(overrides, from_node)))

    async def watch(self, job_id: str, *, timeout: Optional[float] = None) -> AsyncIterator[Any]:
        async with aconnect_sse(self._http, "GET", f"/v1/jobs/{_q(job_id)}/events", timeout=httpx.Timeout(timeout, connect=10.0)) as source:
            _raise_for(source.response)
            async for event in source.aiter_sse():
                if not event.data:
                    continue
                msg = _stream_message(event.data)
                yield msg
                if msg.type in _FINAL_EVENTS:
                    return

    async def wait(self, job_id: str, *, timeout: Optional[float] = None, raise_on_failure: bool = False) -> JobView:
        async for _ in self.watch(job_id, timeout=timeout):
            pass
        job = await self.get_job(job_id)
        if raise_on_failure and job.status != "completed":
            from .errors import JobFailedError

            raise JobFailedError(job)
        return job

    async def list_artifacts(self, job_id: str) -> List[m.Artifact]:
        """Every artifact of the job, page after page (a page holds up to 1,000)."""
        out: List[m.Artifact] = []
        params: Dict[str, str] = {}
        while True:
            page = _parse(m.ArtifactList, await self._http.get(f"/v1/jobs/{_q(job_id)}/artifacts", params=params))
            out.extend(page.artifacts)
            if not page.nextPageToken:
                return out
            params = {"pageToken": page.nextPageToken}

    async def node_metrics(self, job_id: str, node: str) -> m.NodeMetrics:
        return _parse(m.NodeMetrics, await self._http.get(f"/v1/jobs/{_q(job_id)}/nodes/{_q(node)}/metrics"))


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")


def _q(segment: str) -> str:
    """A job or node id as a URL path segment (ids are URL-safe; anything else is refused here)."""
    if not isinstance(segment, str) or not _ID_RE.match(segment):
        raise TrainyardError(f"not a job or node id: {segment!r}")
    return segment


_default: Optional[Client] = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The client the module functions use: ``TRAINYARD_URL`` / ``TRAINYARD_API_KEY``, made on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Client()
        return _default


def set_default_client(client: Optional[Client]) -> None:
    """Makes the module functions use ``client`` (``None``: build one from the environment again)."""
    global _default
    with _default_lock:
        _default = client
