"""Shared building blocks for API schemas: strict input, bounded ids, the error shape."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, get_args

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from ketacare.clinical.plausibility import is_ascii_number

_ID_DIGITS = re.compile(r"[0-9]{1,19}")


def _strict_id(value: Any) -> Any:
    """An id as text (a path or query parameter) is ASCII digits only: pydantic's lax int would
    read '8_0' as 80, and ' 8', '+8' or '8.0' as 8, so /patients/8_0 reached patient 80. In a
    JSON body an id is a JSON integer (not a boolean, not a float)."""
    if isinstance(value, str):
        if _ID_DIGITS.fullmatch(value) is None:
            raise ValueError("an id is written with the digits 0-9 only")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("an id is a whole number")
    return value


# Ids fit a 64-bit column; anything larger is a client error, not a database crash.
RecordId = Annotated[int, BeforeValidator(_strict_id), Field(ge=1, le=2**63 - 1)]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any) -> Any:
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError("text must not contain control characters")
    return value


def _numeric_types(annotation: Any) -> bool:
    """Whether the annotation (through Optional, unions, Annotated and lists) holds a number."""
    if annotation is bool:
        return False
    if annotation in (int, float, Decimal):
        return True
    return any(_numeric_types(arg) for arg in get_args(annotation))


@cache
def _numeric_field(model: type, name: str) -> bool:
    field = model.model_fields.get(name)  # type: ignore[attr-defined]
    return field is not None and _numeric_types(field.annotation)


def _ascii_number(value: Any) -> Any:
    # pydantic reads a Decimal from any Unicode digits ('٨٠' is 80) and an int from '8_0'
    # or ' 80 '; a number written as text must be plain ASCII digits.
    if isinstance(value, str) and not is_ascii_number(value):
        raise ValueError(
            "a number must be written with the digits 0-9, an optional sign and one decimal "
            "point (no other digits, spaces, underscores or exponents)"
        )
    return value


class InputSchema(Schema):
    """Base for request bodies: unknown fields are refused, text is checked, numbers written
    as text are ASCII digits only."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        numeric = info.field_name is not None and _numeric_field(cls, info.field_name)
        if isinstance(value, list):
            return [_ascii_number(clean_text(v)) if numeric else clean_text(v) for v in value]
        return _ascii_number(clean_text(value)) if numeric else clean_text(value)


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
