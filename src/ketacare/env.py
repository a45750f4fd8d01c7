"""Strict readers for KETACARE_* environment variables.

A malformed value fails loudly at start-up rather than silently falling back. Every reader
also accepts ``<NAME>_FILE`` pointing at a file that holds the value (container secrets).
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "KETACARE_"


class ConfigError(RuntimeError):
    pass


def _raw(name: str) -> str | None:
    key = PREFIX + name
    file_key = key + "_FILE"
    if file_key in os.environ:
        path = Path(os.environ[file_key])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:  # pragma: no cover - depends on the deployment
            raise ConfigError(f"{file_key} points at an unreadable file: {exc}") from exc
    return os.environ.get(key)


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{PREFIX}{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value == "":
        return default
    return [part.strip() for part in value.split(",") if part.strip()]
