#!/usr/bin/env python3
"""Generates trainyard/_models.py (pydantic v2 models) from the API's OpenAPI document.

    python scripts/generate_models.py http://127.0.0.1:8080/openapi.json   # or a file path

The same function is used by tests/test_models_drift.py, which fails when the committed models
differ from what the live /openapi.json generates. Needs datamodel-code-generator (the `dev` extra).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "trainyard" / "_models.py"
HEADER = (
    "# Generated from the Trainyard API's OpenAPI document by clients/python/scripts/generate_models.py\n"
    "# (datamodel-code-generator). Do not edit: regenerate; tests/test_models_drift.py compares it\n"
    "# with the live /openapi.json.\n"
)
OPTIONS = [
    "--input-file-type", "openapi",
    "--output-model-type", "pydantic_v2.BaseModel",
    "--disable-timestamp",
    "--target-python-version", "3.10",
    "--no-use-union-operator",
    "--use-standard-collections",
    "--use-schema-description",
    "--field-constraints",
    "--collapse-root-models",
    "--enum-field-as-literal", "all",
    # Responses may gain fields; an older client keeps working (the drift test says when to regenerate).
    "--extra-fields", "ignore",
    "--formatters", "builtin",
    "--custom-file-header", HEADER.rstrip("\n"),
]


def load_document(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        import httpx

        return httpx.get(source, timeout=30).raise_for_status().json()
    return json.loads(Path(source).read_text())


def generate(document: dict) -> str:
    """The models module for an OpenAPI document (deterministic: same document, same text)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "openapi.json"
        out = Path(tmp) / "models.py"
        src.write_text(json.dumps(document, sort_keys=True))
        exe = Path(sys.executable).with_name("datamodel-codegen")
        subprocess.run([str(exe), "--input", str(src), "--output", str(out), *OPTIONS], check=True, capture_output=True, text=True)
        return out.read_text()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    TARGET.write_text(generate(load_document(sys.argv[1])))
    print(f"wrote {TARGET}")
