"""Shared building blocks for API schemas: strict input, bounded ids, the error shape."""

from __future__ import annotations

import re
from typing import Annotated, Any

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

# Ids fit a 64-bit column; anything larger is a client error, not a database crash.
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any) -> Any:
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError("text must not contain control characters")
    return value


class InputSchema(Schema):
    """Base for request bodies: unknown fields are refused, text is checked."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [clean_text(v) for v in value]
        return clean_text(value)


class ErrorRead(Schema):
    code: str
    message: str
    details: dict[str, Any] = {}


ERROR_RESPONSES = {
    400: ErrorRead,
    401: ErrorRead,
    403: ErrorRead,
    404: ErrorRead,
    409: ErrorRead,
    422: ErrorRead,
}
