"""A live Trainyard stack for the client tests: `npm start` in a temporary TRAINYARD_HOME on free
ports, with the example step templates registered (or TRAINYARD_TEST_URL + TRAINYARD_TEST_API_KEY
for a stack you run yourself)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def stack():
    """{url, api_key, home, repo}; the stack is stopped (its whole process group) at the end."""
    if os.environ.get("TRAINYARD_TEST_URL"):
        yield {"url": os.environ["TRAINYARD_TEST_URL"], "api_key": os.environ.get("TRAINYARD_TEST_API_KEY"), "home": None, "repo": REPO}
        return
    home = Path(tempfile.mkdtemp(prefix="trainyard-pytest-"))
    home.chmod(0o711)  # mkdtemp makes it 0700; the step sandbox runs as uid 65534 and must reach the work folder below
    port = _free_port()
    env = {
        **os.environ,
        "TRAINYARD_HOME": str(home),
        "TRAINYARD_PORT": str(port),
        "TEMPORAL_PORT": str(_free_port()),
        "TEMPORAL_UI_PORT": str(_free_port()),
        "TRAINYARD_GPUS": "2x16",
        "TRAINYARD_ALLOWED_COMMANDS": "node,python3",
        "TRAINYARD_STEP_TEMPLATES": str(REPO / "examples" / "step-templates.yaml"),
        "TRAINYARD_LOG_LEVEL": "warn",
    }
    for k in ("TRAINYARD_URL", "TRAINYARD_API_KEY", "TEMPORAL_ADDRESS"):
        env.pop(k, None)
    log = open(home / "stack.log", "wb")
    proc = subprocess.Popen([str(REPO / "node_modules" / ".bin" / "tsx"), "dev/start.ts"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        key_file = home / "dev-api-key"
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the stack exited ({proc.returncode}):\n{(home / 'stack.log').read_text()[-3000:]}")
            if key_file.exists():
                try:
                    r = httpx.get(f"{url}/readyz", timeout=5)
                    if r.status_code == 200 and r.json().get("ready"):
                        break
                except httpx.HTTPError:
                    pass
            if time.time() > deadline:
                raise RuntimeError(f"the stack did not get ready in 240 s:\n{(home / 'stack.log').read_text()[-3000:]}")
            time.sleep(1)
        yield {"url": url, "api_key": key_file.read_text().strip(), "home": home, "repo": REPO}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
        if os.environ.get("TRAINYARD_TEST_KEEP"):
            print(f"stack home kept: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def client(stack):
    """The default client of the module functions, pointed at the stack (as TRAINYARD_URL/API_KEY would)."""
    import trainyard
    from trainyard.client import set_default_client

    os.environ["TRAINYARD_URL"] = stack["url"]
    os.environ["TRAINYARD_API_KEY"] = stack["api_key"]
    set_default_client(None)
    c = trainyard.default_client()
    yield c
    c.close()
    set_default_client(None)
