"""Config and params files read on the caller's machine (a notebook's file is not on the server)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Union

MAX_FILE_BYTES = 1024 * 1024


def read_mapping(path: Union[str, "os.PathLike[str]"], what: str = "config_path") -> Dict[str, Any]:
    """A YAML or JSON file holding a mapping, read locally; the error names the argument and the file."""
    p = Path(path).expanduser()
    try:
        size = p.stat().st_size
    except OSError as err:
        raise ValueError(f"{what}: cannot read {p}: {err.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{what}: {p} is larger than {MAX_FILE_BYTES} bytes")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as err:  # yaml.YAMLError / ValueError
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{what}: cannot parse {p}: {first}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what}: {p} must hold a mapping (an object of fields)")
    return data
