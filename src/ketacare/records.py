"""Small helpers every service uses to write clinical records."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from ketacare.audit.models import service_write
from ketacare.clinical.errors import InvalidClinicalInput


def validation_to_clinical(exc: ValidationError) -> InvalidClinicalInput:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    name, messages = next(iter(fields.items()))
    return InvalidClinicalInput(
        "invalid_input", f"{name}: {' '.join(messages)}", {"fields": fields}
    )


def save_validated(obj: Any, *, update_fields: list[str] | None = None) -> None:
    """``full_clean`` then save inside a service write; model errors become
    ``InvalidClinicalInput`` (422). Without ``update_fields`` the row is inserted."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise validation_to_clinical(exc) from exc
    with service_write():
        if update_fields is None:
            obj.save(force_insert=True)
        else:
            obj.save(update_fields=update_fields)


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named fields' values, for an audit entry's before/after."""
    return {f: getattr(obj, f) for f in fields}
