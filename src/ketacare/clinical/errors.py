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
        pending = decision.acknowledgments
        findings = blockers or pending
        first = findings[0] if len(findings) == 1 else None
        if first is not None:
            code, default = first.code, first.message
        elif blockers:
            code, default = "gate_blocked", "The action is blocked by clinical safety checks."
        else:
            code = "acknowledgment_required"
            default = "Acknowledge the warnings, with a reason, before proceeding."
        if not blockers and pending and first is not None:
            default += " Acknowledge it with a reason to proceed."
        super().__init__(
            code=code,
            message=message or default,
            details={
                "blockers": [b.as_dict() for b in blockers],
                "acknowledgments_required": [
                    {**a.as_dict(), "overridable": False, "acknowledge": True} for a in pending
                ],
            },
        )
        self.decision = decision


def require(condition: bool, code: str, message: str, **details: Any) -> None:
    """Raise ``InvalidClinicalInput`` unless ``condition`` holds (validation at the door)."""
    if not condition:
        raise InvalidClinicalInput(code, message, details)
