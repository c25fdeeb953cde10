"""Reading a core package's own packaged data files (the only I/O the core does)."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from benzoplan.errors import DataError

__all__ = ["read_toml"]


def read_toml(package: str, name: str) -> dict[str, Any]:
    """Parse ``<package>/data/<name>``; a missing or malformed file is a :class:`DataError`."""
    path = resources.files(package) / "data" / name
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"data file {package}/data/{name} is missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"data file {package}/data/{name} is not valid TOML: {exc}") from exc
