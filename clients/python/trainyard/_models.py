# Generated from the Trainyard API's OpenAPI document by clients/python/scripts/generate_models.py
# (datamodel-code-generator). Do not edit: regenerate; tests/test_models_drift.py compares it
# with the live /openapi.json.

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel


class Totals(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    charged: float
    granted: float
    refunded: float


class AnnouncedGpus(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    count: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    memoryGb: list[float]
    pool: str
    simulated: bool


class Artifact(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    mediaType: str
    name: str
    node: str
    path: str
    sha256: str
    size: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    url: str


class ArtifactList(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    artifacts: list[Artifact]
    nextPageToken: Optional[str] = None


class ArtifactListQuery(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    pageSize: int = Field(..., ge=1, le=1000)
    pageToken: Optional[str] = Field(None, max_length=4096, pattern='^[A-Za-z0-9_-]+$')


class Cost(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    base: float
    data: float
    gpu: float
    model: float
    preprocess: float
    total: float
    visualizations: float


class GpuSeconds(RootModel[float]):
    root: float = Field(..., ge=0.0)


class Usage(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cells: float = Field(..., ge=0.0)
    gpuSeconds: dict[str, GpuSeconds]
    parameters: float = Field(..., ge=0.0)
    preprocess: int = Field(..., ge=0, le=9007199254740991)
    visualizations: int = Field(..., ge=0, le=9007199254740991)


class CreditEstimate(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cost: Cost
    usage: Usage


class GpuSecond(RootModel[float]):
    root: float = Field(..., ge=0.0)


class Rates(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    assumedCells: float = Field(..., ge=0.0)
    assumedGpuSeconds: float = Field(..., ge=0.0)
    base: float = Field(..., ge=0.0)
    cell: float = Field(..., ge=0.0)
    gpuSecond: dict[str, GpuSecond]
    parameter: float = Field(..., ge=0.0)
    preprocess: float = Field(..., ge=0.0)
    visualization: float = Field(..., ge=0.0)


class CreditsConfig(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    enabled: bool
    overrun: Literal['charge', 'cap']
    rates: Rates
    refund: Literal['full', 'gpu-used']


class EmptyRequest(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )


class Credits(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    balance: float
    estimate: float
    reserved: float


class ErrorDetail(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    message: str
    path: str


class GrantRequest(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    amount: float = Field(..., ge=0.0, le=1000000000000.0)
    grantId: Optional[str] = Field(None, pattern='^[\\x21-\\x7e]{1,128}$')
    reason: str = Field(..., max_length=500, min_length=1)


class Health(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    status: Literal['ok']


class JobCredits(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    actual: Optional[CreditEstimate] = None
    charged: float
    estimate: Optional[CreditEstimate] = None
    estimated: float
    refunded: float
    reserved: float
    settled: bool


class Counts(RootModel[int]):
    root: int = Field(..., ge=-9007199254740991, le=9007199254740991)


class Where(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    attempt: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    node: str
    taskQueue: Optional[str] = None
    worker: Optional[str] = None


class Trial(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    group: str
    index: int = Field(..., ge=-9007199254740991, le=9007199254740991)


class JobLinks(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    artifacts: str
    cancel: str
    events: str
    logs: str
    pause: str
    recover: str
    resume: str
    self: str
    spec: str
    stream: str


class CriticalPath(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    estimatedMs: Optional[float] = None
    nodes: list[str]


class From(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    jobId: str
    nodeId: str
    storedAt: str


class Cache(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    from_: Optional[From] = Field(None, alias='from')
    key: Optional[str] = None
    prediction: Literal['hit', 'miss', 'unknown']


class Trial1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    group: str = Field(..., max_length=64, min_length=1)
    index: int = Field(..., ge=0, le=9007199254740991)
    params: dict[str, Any]


class Ttl(RootModel[str]):
    root: str = Field(..., max_length=32)


class Cache1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    ttl: Optional[Union[Ttl, float]] = None
    version: Optional[str] = Field(None, max_length=64, min_length=1)


class Metadata(RootModel[str]):
    root: str = Field(..., max_length=1024)


class Cache2(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    ttl: Optional[Union[Ttl, float]] = None
    version: Optional[str] = Field(None, max_length=64, min_length=1)


class DependsOnItem(RootModel[str]):
    root: str = Field(..., max_length=64)


class EstimatedDuration(RootModel[str]):
    root: str = Field(..., max_length=32)


class Foreach(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    field: str = Field(
        ...,
        max_length=256,
        min_length=1,
        pattern='^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$',
    )
    maxParallel: Optional[int] = Field(None, ge=1, le=500)
    minSuccessRatio: Optional[float] = Field(1, gt=0.0, le=1.0)
    node: str = Field(..., max_length=64, min_length=1)


class Resources(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cpuSeconds: Optional[int] = Field(None, ge=1, le=31536000)
    diskMb: Optional[int] = Field(None, ge=1, le=67108864)
    fileSizeMb: Optional[int] = Field(None, ge=1, le=67108864)
    gpuMemoryGb: Optional[float] = Field(0, ge=0.0, le=4096.0)
    gpus: Optional[int] = Field(None, ge=0, le=64)
    memoryMb: Optional[int] = Field(None, ge=16, le=16777216)
    openFiles: Optional[int] = Field(None, ge=16, le=1048576)
    processes: Optional[int] = Field(None, ge=4, le=1000000)


class InitialInterval(RootModel[str]):
    root: str = Field(..., max_length=32)


class MaxInterval(RootModel[str]):
    root: str = Field(..., max_length=32)


class NonRetryableError(RootModel[str]):
    root: str = Field(..., max_length=128, min_length=1)


class Retry(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    backoffCoefficient: Optional[float] = Field(2, ge=1.0, le=10.0)
    initialInterval: Optional[Union[InitialInterval, float]] = None
    maxAttempts: Optional[int] = Field(3, ge=1, le=100)
    maxInterval: Optional[Union[MaxInterval, float]] = None
    nonRetryableErrors: Optional[list[NonRetryableError]] = Field(
        [], max_length=64, validate_default=True
    )


class Heartbeat(RootModel[str]):
    root: str = Field(..., max_length=32)


class ScheduleToStart(RootModel[str]):
    root: str = Field(..., max_length=32)


class StartToClose(RootModel[str]):
    root: str = Field(..., max_length=32)


class Timeout(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    heartbeat: Optional[Union[Heartbeat, float]] = None
    scheduleToStart: Optional[Union[ScheduleToStart, float]] = None
    startToClose: Optional[Union[StartToClose, float]] = None


class NotifyItem(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    events: Optional[list[Literal['completed', 'failed', 'cancelled', 'waiting_for_recover']]] = (
        Field(
            ['completed', 'failed', 'cancelled', 'waiting_for_recover'],
            max_length=4,
            min_length=1,
        )
    )
    url: str = Field(..., max_length=2048)


class RecoveryWindow(RootModel[str]):
    root: str = Field(..., max_length=32)


class EarlyStop(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    afterEpochs: Optional[int] = Field(1, ge=1, le=100000)
    every: Optional[int] = Field(1, ge=1, le=100000)
    metric: str = Field(..., max_length=128, min_length=1)
    minTrials: Optional[int] = Field(2, ge=1, le=10000)
    mode: Literal['max', 'min']
    rule: Optional[Literal['median']] = 'median'


class Sweeps(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    earlyStop: Optional[EarlyStop] = None
    maxParallel: Optional[int] = Field(None, ge=1, le=9007199254740991)
    minSuccessRatio: Optional[float] = Field(1, gt=0.0, le=1.0)
    strategy: Literal['grid', 'random']
    trials: int = Field(..., ge=1, le=9007199254740991)


class Tag(RootModel[str]):
    root: str = Field(..., max_length=64, min_length=1)


class JobSummary(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    closeTime: Optional[str] = None
    gpus: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    id: str
    name: Optional[str] = None
    owner: Optional[str] = None
    priority: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    recoverable: bool
    scheduledBy: Optional[str] = None
    startTime: str
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']
    tags: list[str]
    types: list[str]
    workflowStatus: str


class Notification(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    attempts: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    deliveredAt: Optional[str] = None
    event: Literal['completed', 'failed', 'cancelled', 'waiting_for_recover']
    id: str
    lastError: Optional[str] = None
    lastStatus: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    state: Literal['pending', 'delivered', 'failed']
    url: str


class LedgerEntry(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    amount: float
    at: str
    balance: float
    grantId: Optional[str] = None
    jobId: Optional[str] = None
    kind: Literal['grant', 'reserve', 'charge', 'refund']
    reason: Optional[str] = None
    seq: int = Field(..., ge=-9007199254740991, le=9007199254740991)


class Gpu(RootModel[int]):
    root: int = Field(..., ge=-9007199254740991, le=9007199254740991)


class LiveProgress(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    epoch: Optional[float] = None
    epochs: Optional[float] = None
    gpus: Optional[list[Gpu]] = None
    lastHeartbeatAt: Optional[str] = None
    loss: Optional[float] = None
    message: Optional[str] = None
    metrics: Optional[dict[str, float]] = None
    percent: Optional[float] = None
    phase: Optional[Literal['waiting_for_quota', 'waiting_for_gpu', 'running', 'checkpointing', 'finishing']] = (
        None
    )
    valMetric: Optional[float] = None


class MetricPoint(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    attempt: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    epoch: Optional[float] = None
    epochs: Optional[float] = None
    loss: Optional[float] = None
    metrics: dict[str, float]
    percent: Optional[float] = None
    t: str
    valMetric: Optional[float] = None


class NodeError(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    message: str
    stack: Optional[str] = None
    stderrTail: Optional[list[str]] = None
    type: Optional[str] = None
    where: Optional[Where] = None


class NodeMetrics(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    jobId: str
    keys: list[str]
    nodeId: str
    points: list[MetricPoint]
    truncated: bool


class Error2(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    message: str
    stderrTail: Optional[list[str]] = None
    type: Optional[str] = None
    where: Optional[Where] = None


class Waiting(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    ahead: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    message: str
    nextAttemptAt: Optional[str] = None
    nodes: Optional[list[str]] = None
    pool: Optional[str] = None
    reason: Literal['upstream', 'paused', 'quota', 'queued', 'gpu', 'retry_backoff']
    since: Optional[str] = None
    taskQueue: Optional[str] = None


class Item(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    index: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    map: str


class Map(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    completed: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    done: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    items: int = Field(..., ge=-9007199254740991, le=9007199254740991)


class Artifact1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    mediaType: str
    name: str
    path: str
    sha256: str
    size: float
    uri: str


class Cache3(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    from_: Optional[From] = Field(None, alias='from')
    hit: bool
    key: str


class Checkpoint(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    mediaType: str
    name: str
    path: str
    sha256: str
    size: float
    uri: str


class Usage1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    gpuSeconds: float = Field(..., ge=0.0)
    gpuWaitMs: float = Field(..., ge=0.0)
    runningMs: float = Field(..., ge=0.0)


class Meta(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    attempt: float
    checkpoint: Optional[Checkpoint] = None
    finishedAt: str
    gpus: Optional[list[Gpu]] = None
    startedAt: str
    taskQueue: Optional[str] = None
    usage: Optional[Usage1] = None
    worker: Optional[str] = None


class Refs(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    mediaType: str
    name: str
    path: str
    sha256: str
    size: float
    uri: str


class Output(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    artifacts: list[Artifact1]
    cache: Optional[Cache3] = None
    meta: Optional[Meta] = None
    refs: Optional[dict[str, Refs]] = None
    summary: dict[str, Any]


class Usage2(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    gpuSeconds: float
    gpuWaitMs: float
    runningMs: float
    wallMs: float


class WaitingFor(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    ahead: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    gpus: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    held: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    limit: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    pool: str
    reason: Literal['quota']
    since: str


class NodeView(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    attempt: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    attempts: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    completedAt: Optional[str] = None
    dependsOn: list[str]
    durationMs: Optional[float] = None
    error: Optional[NodeError] = None
    executions: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    firstStartedAt: Optional[str] = None
    id: str
    item: Optional[Item] = None
    lastFailure: Optional[str] = None
    live: Optional[LiveProgress] = None
    map: Optional[Map] = None
    nextAttemptAt: Optional[str] = None
    output: Optional[Output] = None
    startedAt: Optional[str] = None
    status: Literal['pending', 'queued', 'running', 'retrying', 'paused', 'completed', 'failed', 'skipped', 'cancelled', 'waiting_for_gpu', 'stopped', 'cached']
    taskQueue: str
    trial: Optional[Trial1] = None
    type: Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']
    usage: Optional[Usage2] = None
    waiting: Optional[Waiting] = None
    waitingFor: Optional[WaitingFor] = None


class Cache4(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    ttl: Optional[float] = None
    version: Optional[str] = Field(None, max_length=64, min_length=1)


class Foreach1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    field: str = Field(
        ...,
        max_length=256,
        min_length=1,
        pattern='^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$',
    )
    maxParallel: Optional[int] = Field(None, ge=1, le=500)
    minSuccessRatio: float = Field(..., gt=0.0, le=1.0)
    node: str = Field(..., max_length=64, min_length=1)


class Resources1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cpuSeconds: Optional[int] = Field(None, ge=1, le=31536000)
    diskMb: Optional[int] = Field(None, ge=1, le=67108864)
    fileSizeMb: Optional[int] = Field(None, ge=1, le=67108864)
    gpuMemoryGb: float = Field(..., ge=0.0, le=4096.0)
    gpus: Optional[int] = Field(None, ge=0, le=64)
    memoryMb: Optional[int] = Field(None, ge=16, le=16777216)
    openFiles: Optional[int] = Field(None, ge=16, le=1048576)
    processes: Optional[int] = Field(None, ge=4, le=1000000)


class Retry1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    backoffCoefficient: float = Field(..., ge=1.0, le=10.0)
    initialInterval: float
    maxAttempts: int = Field(..., ge=1, le=100)
    maxInterval: float
    nonRetryableErrors: list[NonRetryableError] = Field(..., max_length=64)


class Timeout1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    heartbeat: Optional[float] = None
    scheduleToStart: Optional[float] = None
    startToClose: Optional[float] = None


class Node3(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cache: Optional[Union[bool, Cache4]] = None
    config: dict[str, Any]
    configPath: Optional[str] = Field(None, max_length=512, min_length=1)
    dependsOn: list[DependsOnItem] = Field(..., max_length=1000)
    estimatedDuration: Optional[float] = None
    foreach: Optional[Foreach1] = None
    id: str = Field(..., max_length=64, min_length=1, pattern='^[a-z0-9][a-z0-9_-]*$')
    params: Optional[dict[str, Any]] = None
    paramsFile: Optional[str] = Field(None, max_length=512, min_length=1)
    resources: Resources1
    retry: Retry1
    template: Optional[str] = Field(None, max_length=64, min_length=1)
    timeout: Timeout1
    trial: Optional[Trial1] = None
    type: Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']


class NotifyItem1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    events: list[Literal['completed', 'failed', 'cancelled', 'waiting_for_recover']] = (
        Field(..., max_length=4, min_length=1)
    )
    url: str = Field(..., max_length=2048)


class EarlyStop1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    afterEpochs: int = Field(..., ge=1, le=100000)
    every: int = Field(..., ge=1, le=100000)
    metric: str = Field(..., max_length=128, min_length=1)
    minTrials: int = Field(..., ge=1, le=10000)
    mode: Literal['max', 'min']
    rule: Literal['median']


class Sweeps1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    earlyStop: Optional[EarlyStop1] = None
    maxParallel: Optional[int] = Field(None, ge=1, le=9007199254740991)
    minSuccessRatio: float = Field(..., gt=0.0, le=1.0)
    strategy: Literal['grid', 'random']
    trials: int = Field(..., ge=1, le=9007199254740991)


class ParsedJobSpec(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cache: Optional[Union[bool, Cache4]] = None
    description: Optional[str] = Field(None, max_length=4000)
    failurePolicy: Literal['continue', 'failFast']
    maxRecoveryAttempts: int = Field(..., ge=0, le=100)
    metadata: dict[str, Metadata]
    name: str = Field(..., max_length=128, min_length=1)
    nodes: list[Node3] = Field(..., max_length=50000, min_length=1)
    notify: Optional[list[NotifyItem1]] = Field(None, max_length=16)
    outputDir: str = Field(..., max_length=512, min_length=1)
    parallelism: int = Field(..., ge=1, le=500)
    priority: int = Field(..., ge=1, le=5)
    recoveryWindow: float
    sweeps: Optional[dict[str, Sweeps1]] = None
    tags: list[Tag] = Field(..., max_length=32)


class PauseRequest(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    mode: Optional[Literal['drain', 'now']] = 'drain'


class Worker(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    gpus: AnnouncedGpus
    identity: str


class GpuPool(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    gpus: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    pool: str
    ready: bool
    simulated: bool
    workers: list[Worker]


class Queue(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    kind: Literal['workflow', 'activity']
    name: str
    ok: bool
    pollers: int = Field(..., ge=-9007199254740991, le=9007199254740991)


class Store(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    error: Optional[str] = None
    reachable: bool
    uri: str


class Temporal(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    error: Optional[str] = None
    reachable: bool


class Readiness(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    gpuPools: list[GpuPool]
    missing: list[str]
    queues: list[Queue]
    ready: bool
    store: Store
    temporal: Temporal


class RecoverRequest(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    fromNode: Optional[str] = Field(None, max_length=64, min_length=1)
    fromScratch: Optional[bool] = None


class RecoveryRecord(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    at: str
    fromNode: Optional[str] = None
    fromScratch: Optional[bool] = None
    nodes: list[str]
    resumed: Optional[list[str]] = None


class RerunCreated(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    created: bool
    id: str
    links: JobLinks
    rerunOf: str
    specHash: str
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']


class RerunRequest(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    fromNode: Optional[str] = Field(None, max_length=64, min_length=1)
    overrides: Optional[dict[str, Any]] = None


class ScheduleBackfill(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    end: AwareDatetime
    overlap: Optional[Literal['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'allowAll']] = (
        None
    )
    start: AwareDatetime


class CatchupWindow(RootModel[str]):
    root: str = Field(..., max_length=32)


class Every(RootModel[str]):
    root: str = Field(..., max_length=32)


class Jitter(RootModel[str]):
    root: str = Field(..., max_length=32)


class ScheduleCreate(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    catchupWindow: Optional[Union[CatchupWindow, float]] = None
    cron: Optional[str] = Field(None, max_length=256, min_length=1)
    every: Optional[Union[Every, float]] = None
    fromJob: Optional[str] = Field(None, max_length=200, min_length=1)
    jitter: Optional[Union[Jitter, float]] = None
    job: Optional[dict[str, Any]] = None
    name: str = Field(..., pattern='^[a-z0-9][a-z0-9_.-]{0,62}$')
    note: Optional[str] = Field(None, max_length=256)
    overlap: Optional[Literal['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'allowAll']] = (
        None
    )
    paused: Optional[bool] = None
    timezone: Optional[str] = Field(None, max_length=64, min_length=1)


class ScheduleOutcome(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    message: str
    name: str
    scheduleId: str


class ScheduleRun(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    closedAt: Optional[str] = None
    jobId: str
    startedAt: str
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']


class ScheduleSummary(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cron: Optional[str] = None
    everyMs: Optional[float] = None
    name: str
    nextRun: Optional[str] = None
    overlap: Literal['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'allowAll']
    owner: str
    paused: bool
    scheduleId: str
    timezone: str


class ScheduleUpdate(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    catchupWindow: Optional[Union[CatchupWindow, float]] = None
    cron: Optional[str] = Field(None, max_length=256, min_length=1)
    every: Optional[Union[Every, float]] = None
    fromJob: Optional[str] = Field(None, max_length=200, min_length=1)
    jitter: Optional[Union[Jitter, float]] = None
    job: Optional[dict[str, Any]] = None
    overlap: Optional[Literal['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'allowAll']] = (
        None
    )
    timezone: Optional[str] = Field(None, max_length=64, min_length=1)


class Job(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    fromJob: Optional[str] = None
    name: Optional[str] = None
    nodes: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    specHash: str


class ScheduleView(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    actionsTaken: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    catchupWindowMs: Optional[float] = None
    createdAt: str
    cron: Optional[str] = None
    everyMs: Optional[float] = None
    jitterMs: Optional[float] = None
    job: Job
    name: str
    nextRuns: list[str]
    note: Optional[str] = None
    overlap: Literal['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'allowAll']
    owner: str
    paused: bool
    recentRuns: list[ScheduleRun]
    scheduleId: str
    skippedOverlap: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    timezone: str
    updatedAt: Optional[str] = None


class GpuPool1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    gpusPerWorker: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    memoryGb: float
    name: str


class Gpu2(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    export: str
    train: str


class TaskQueues(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cpu: str
    gpu: dict[str, Gpu2]
    workflows: str


class TemporalUi(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    namespace: str
    url: str


class SessionView(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    admin: bool
    csrfToken: str
    expiresAt: str
    owner: str
    temporalUi: Optional[TemporalUi] = None


class SignInRequest(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    apiKey: str = Field(..., max_length=512, min_length=1)


class SignedOut(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    signedOut: Literal[True]


class SingleJobSpec(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    config: Optional[dict[str, Any]] = None
    configPath: Optional[str] = Field(None, max_length=512, min_length=1)
    gpuCount: Optional[int] = Field(None, ge=0, le=64)
    gpuMemoryGb: Optional[float] = Field(None, ge=0.0, le=4096.0)
    jobType: Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']
    name: Optional[str] = Field(None, max_length=128, min_length=1)
    outputDir: Optional[str] = Field(None, max_length=512, min_length=1)
    params: Optional[dict[str, Any]] = None
    paramsFile: Optional[str] = Field(None, max_length=512, min_length=1)
    priority: Optional[int] = Field(None, ge=1, le=5)
    tags: Optional[list[Tag]] = Field(None, max_length=32)


class CommandItem(RootModel[str]):
    root: str = Field(..., max_length=8192)


class Retry2(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    backoffCoefficient: float = Field(..., ge=1.0, le=10.0)
    initialInterval: float
    maxAttempts: int = Field(..., ge=1, le=100)
    maxInterval: float
    nonRetryableErrors: list[NonRetryableError] = Field(..., max_length=64)


class StepTemplateView(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    aliases: list[Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']] = (
        Field(..., max_length=9)
    )
    command: list[CommandItem] = Field(..., max_length=1024, min_length=1)
    description: Optional[str] = Field(None, max_length=2000)
    name: str
    params: dict[str, Any]
    resources: Optional[Resources1] = None
    retry: Optional[Retry2] = None
    timeout: Optional[Timeout1] = None


class Node4(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    id: str
    type: Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']


class Data(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    name: str
    nodes: list[Node4]


class StreamMessage2(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    data: Data
    job_id: str
    progress: float
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']
    timestamp: str
    type: Literal['job_started']


class StreamMessage4(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    data: LiveProgress
    job_id: str
    node_id: str
    progress: Optional[float] = None
    status: Literal['pending', 'queued', 'running', 'retrying', 'paused', 'completed', 'failed', 'skipped', 'cancelled', 'waiting_for_gpu', 'stopped', 'cached']
    timestamp: str
    type: Literal['node_progress']


class StreamMessage5(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    data: dict[str, Any]
    job_id: str
    node_id: str
    timestamp: str
    type: Literal['metrics']


class Data1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    message: str


class StreamMessage9(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    data: Data1
    job_id: str
    timestamp: str
    type: Literal['error']


class Usage3(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cells: float = Field(..., ge=0.0)
    gpuSeconds: dict[str, GpuSeconds]
    parameters: float = Field(..., ge=0.0)
    preprocess: int = Field(..., ge=0, le=9007199254740991)
    visualizations: int = Field(..., ge=0, le=9007199254740991)


class Credits1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cost: Cost
    enforced: bool
    usage: Usage3


class WorkflowExecution(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    closeTime: Optional[str] = None
    historyLength: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    runId: str
    startTime: str
    status: str


class AccountView(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    balance: float
    enabled: bool
    lastSeq: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    message: Optional[str] = None
    openJobs: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    owner: str
    recent: list[LedgerEntry]
    reserved: float
    totals: Totals


class ControlOutcome(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    id: str
    message: str
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']


class EntryPage(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    entries: list[LedgerEntry]
    nextPageToken: Optional[str] = None
    owner: str


class Error1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    code: Literal['bad_request', 'invalid_request', 'validation_failed', 'malformed_json', 'missing_body', 'request_aborted', 'invalid_path', 'invalid_owner', 'invalid_page_token', 'invalid_idempotency_key', 'invalid_job_id', 'invalid_schedule_name', 'invalid_range', 'too_deep', 'forbidden_key', 'unauthorized', 'session_expired', 'insufficient_credits', 'forbidden', 'cross_origin', 'csrf_failed', 'route_not_found', 'job_not_found', 'node_not_found', 'artifact_not_found', 'log_not_found', 'account_not_found', 'schedule_not_found', 'docs_disabled', 'credits_disabled', 'dashboard_not_built', 'illegal_transition', 'idempotency_conflict', 'schedule_exists', 'not_a_trainyard_schedule', 'invalid_snapshot', 'job_not_finished', 'nodes_unavailable', 'payload_too_large', 'unsupported_media_type', 'range_not_satisfiable', 'upgrade_required', 'too_many_attempts', 'internal']
    credits: Optional[Credits] = None
    details: list[ErrorDetail]
    message: str
    requestId: Optional[str] = None


class Error(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    error: Error1


class GrantResult(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    applied: bool
    balance: float
    entry: Optional[LedgerEntry] = None
    owner: str


class JobCreated(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    created: bool
    id: str
    links: JobLinks
    specHash: str
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']


class Node(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    errorType: Optional[str] = None
    id: str
    message: str
    stderrTail: Optional[list[str]] = None
    type: Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']
    where: Optional[Where] = None


class JobFailure(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    failedCount: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    message: str
    nodes: list[Node]


class Row(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    gpuSeconds: float
    metric: float
    nodeId: str
    note: Optional[str] = None
    params: dict[str, Any]
    rank: Optional[int] = Field(None, ge=1, le=9007199254740991)
    status: Literal['pending', 'queued', 'running', 'retrying', 'paused', 'completed', 'failed', 'skipped', 'cancelled', 'waiting_for_gpu', 'stopped', 'cached']
    trial: Optional[Trial] = None


class JobLeaderboard(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    candidates: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    metric: str
    mode: Literal['max', 'min']
    node: str
    ranked: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    rows: list[Row]
    truncated: Optional[bool] = None
    winner: str


class JobNodePage(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    jobId: str
    nextPageToken: Optional[str] = None
    nodes: list[NodeView]
    source: Literal['query', 'view']
    total: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    trimmed: Optional[Literal['outputs', 'completedNodes', 'summary']] = None


class JobPage(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    jobs: list[JobSummary]
    nextPageToken: Optional[str] = None


class Node1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cache: Optional[Cache] = None
    dependsOn: list[str]
    estimatedMs: Optional[float] = None
    gpus: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    id: str
    pool: Optional[str] = None
    stage: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    taskQueue: str
    template: Optional[str] = None
    trial: Optional[Trial1] = None
    type: Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']


class JobPlan(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cacheHits: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    criticalPath: CriticalPath
    edgeCount: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    estimatedGpuMs: Optional[float] = None
    maxStageWidth: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    nodeCount: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    nodes: list[Node1]
    parallelism: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    stages: list[list[str]]


class Node2(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cache: Optional[Union[bool, Cache2]] = None
    config: Optional[dict[str, Any]] = {}
    configPath: Optional[str] = Field(None, max_length=512, min_length=1)
    dependsOn: Optional[list[DependsOnItem]] = Field(
        [], max_length=1000, validate_default=True
    )
    estimatedDuration: Optional[Union[EstimatedDuration, float]] = None
    foreach: Optional[Foreach] = None
    id: str = Field(..., max_length=64, min_length=1, pattern='^[a-z0-9][a-z0-9_-]*$')
    params: Optional[dict[str, Any]] = None
    paramsFile: Optional[str] = Field(None, max_length=512, min_length=1)
    resources: Optional[Resources] = Field({}, validate_default=True)
    retry: Optional[Retry] = Field({}, validate_default=True)
    template: Optional[str] = Field(None, max_length=64, min_length=1)
    timeout: Optional[Timeout] = Field({}, validate_default=True)
    trial: Optional[Trial1] = None
    type: Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']


class JobSpec(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    cache: Optional[Union[bool, Cache1]] = None
    description: Optional[str] = Field(None, max_length=4000)
    failurePolicy: Optional[Literal['continue', 'failFast']] = 'continue'
    maxRecoveryAttempts: Optional[int] = Field(3, ge=0, le=100)
    metadata: Optional[dict[str, Metadata]] = Field({}, validate_default=True)
    name: str = Field(..., max_length=128, min_length=1)
    nodes: list[Node2] = Field(..., max_length=50000, min_length=1)
    notify: Optional[list[NotifyItem]] = Field(None, max_length=16)
    outputDir: Optional[str] = Field('runs', max_length=512, min_length=1)
    parallelism: Optional[int] = Field(20, ge=1, le=500)
    priority: Optional[int] = Field(3, ge=1, le=5)
    recoveryWindow: Optional[Union[RecoveryWindow, float]] = None
    sweeps: Optional[dict[str, Sweeps]] = None
    tags: Optional[list[Tag]] = Field([], max_length=32, validate_default=True)


class JobSpecView(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    id: str
    jobDir: str
    owner: str
    plan: JobPlan
    pools: dict[str, str]
    queuePrefix: str
    rerunOf: Optional[str] = None
    spec: ParsedJobSpec
    specHash: str
    submitted: JobSpec
    submittedAt: str


class JobView(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    completedAt: Optional[str] = None
    counts: dict[str, Counts]
    credits: Optional[JobCredits] = None
    currentNodes: list[str]
    failure: Optional[JobFailure] = None
    id: str
    leaderboards: Optional[list[JobLeaderboard]] = None
    links: JobLinks
    name: str
    nodes: list[NodeView]
    notifications: Optional[list[Notification]] = None
    owner: str
    pauseMode: Optional[Literal['drain', 'now']] = None
    progress: float
    recoverable: bool
    recoverableUntil: Optional[str] = None
    recoveries: list[RecoveryRecord]
    recoveryAttempts: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    rerunOf: Optional[str] = None
    runs: int = Field(..., ge=-9007199254740991, le=9007199254740991)
    scheduledBy: Optional[str] = None
    source: Literal['query', 'describe']
    specHash: Optional[str] = None
    startedAt: Optional[str] = None
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']
    submittedAt: Optional[str] = None
    trimmed: Optional[Literal['outputs', 'completedNodes', 'summary']] = None
    workflow: WorkflowExecution


class NodeStatusData(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    attempt: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    attempts: Optional[int] = Field(None, ge=-9007199254740991, le=9007199254740991)
    durationMs: Optional[float] = None
    error: Optional[Error2] = None
    inferred: Optional[bool] = None
    lastFailure: Optional[str] = None
    summary: Optional[dict[str, Any]] = None
    type: Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']
    waiting: Optional[Waiting] = None


class SchedulePage(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    schedules: list[ScheduleSummary]


class ServerConfig(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    allowedCommands: list[str]
    credits: CreditsConfig
    gpuPools: list[GpuPool1]
    limits: dict[str, float]
    maxBody: str
    namespace: str
    nodeConfigSchemas: dict[str, dict[str, Any]]
    nodeTypes: list[Literal['dataset', 'split', 'preprocess', 'train', 'evaluate', 'export', 'visualize', 'command', 'select']]
    queuePrefix: str
    stepTemplates: list[StepTemplateView]
    taskQueues: TaskQueues
    version: str


class StreamMessage1(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    data: JobView
    job_id: str
    progress: float
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']
    timestamp: str
    type: Literal['snapshot']


class StreamMessage3(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    data: NodeStatusData
    job_id: str
    node_id: str
    status: Literal['pending', 'queued', 'running', 'retrying', 'paused', 'completed', 'failed', 'skipped', 'cancelled', 'waiting_for_gpu', 'stopped', 'cached']
    timestamp: str
    type: Literal['node_status']


class Submission(RootModel[Union[JobSpec, SingleJobSpec]]):
    root: Union[JobSpec, SingleJobSpec]


class ValidateResult(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    credits: Credits1
    plan: JobPlan
    valid: Literal[True]


class JobEndData(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    completedAt: Optional[str] = None
    counts: dict[str, Counts]
    failure: Optional[JobFailure] = None
    recoverable: bool


class StreamMessage6(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    data: JobEndData
    job_id: str
    progress: float
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']
    timestamp: str
    type: Literal['job_completed']


class StreamMessage7(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    data: JobEndData
    job_id: str
    progress: float
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']
    timestamp: str
    type: Literal['job_failed']


class StreamMessage8(BaseModel):
    model_config = ConfigDict(
        extra='ignore',
    )
    data: JobEndData
    job_id: str
    progress: float
    status: Literal['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']
    timestamp: str
    type: Literal['job_cancelled']


class StreamMessage(
    RootModel[Union[StreamMessage1, StreamMessage2, StreamMessage3, StreamMessage4, StreamMessage5, StreamMessage6, StreamMessage7, StreamMessage8, StreamMessage9]]
):
    root: Union[StreamMessage1, StreamMessage2, StreamMessage3, StreamMessage4, StreamMessage5, StreamMessage6, StreamMessage7, StreamMessage8, StreamMessage9]
