"""The core's error vocabulary.

Every error carries a stable ``code`` (snake_case, never changed once published), a message
written for clinicians (never containing patient identifiers) and structured ``details``.
The API maps ``InvalidClinicalInput`` to 422 and ``GateBlocked`` to 409; pages render the
same code and message. Core errors say what is clinically wrong and never mention HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ketacare.clinical.gates import GateDecision


class ClinicalError(Exception):
    """Base class: a clinical rule or input problem with a stable code."""

    code: str = "clinical_error"

    def __init__(self, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidClinicalInput(ClinicalError):
    """Input is missing, malformed or outside its plausible range; nothing was decided."""


class GateBlocked(ClinicalError):
    """A clinical gate refused the action; ``decision`` lists every blocker."""

    def __init__(self, decision: GateDecision, message: str | None = None) -> None:
        blockers = decision.blockers
        first = blockers[0] if blockers else None
        super().__init__(
            code=first.code if first and len(blockers) == 1 else "gate_blocked",
            message=message
            or (
                first.message
                if first and len(blockers) == 1
                else "The action is blocked by clinical safety checks."
            ),
            details={"blockers": [b.as_dict() for b in blockers]},
        )
        self.decision = decision


def require(condition: bool, code: str, message: str, **details: Any) -> None:
    """Raise ``InvalidClinicalInput`` unless ``condition`` holds (validation at the door)."""
    if not condition:
        raise InvalidClinicalInput(code, message, details)
