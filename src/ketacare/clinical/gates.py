"""Clinical gates as data.

A gate check returns a ``GateDecision``: the blockers (each with a stable code, a
clinician-readable message and its source), the warnings that need an acknowledgment, and any
non-blocking warnings. A service refuses the action with ``GateBlocked`` unless every blocker
is covered by an ``Override`` from a licensed prescriber with a reason and every
acknowledgment-warning by an ``Acknowledgment`` from a licensed clinician with a reason. Some
blockers (an absolute contraindication, a dose above the hard ceiling) are not overridable.

Which a finding is follows its evidence (issue 16, ``Source.can_justify_block``): a hard
block needs a verified primary text that says must / must not; a fact the source gives only
as guidance ("consider", a general guide), a secondary copy or a KetaCare heuristic is an
acknowledgment-warning: the clinician weighs it, says why, and the decision is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ketacare.clinical.errors import GateBlocked, InvalidClinicalInput
from ketacare.clinical.sources import Source


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason: a blocker, a caution or a warning."""

    code: str
    message: str
    source: Source | None = None
    overridable: bool = True
    data: tuple[tuple[str, Any], ...] = ()  # small structured facts (value, threshold)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "source": self.source.as_dict() if self.source else None,
            "overridable": self.overridable,
            "data": dict(self.data),
        }


Blocker = Finding


@dataclass(frozen=True, slots=True)
class Override:
    """A prescriber's documented decision to proceed despite named blockers."""

    reason: str
    codes: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.reason or not self.reason.strip():
            raise InvalidClinicalInput(
                "override_reason_required", "An override needs a written clinical reason."
            )
        if not self.codes:
            raise InvalidClinicalInput(
                "override_codes_required", "Name the blocker codes the override covers."
            )


@dataclass(frozen=True, slots=True)
class Acknowledgment:
    """A licensed clinician's documented acknowledgment of named warnings: they weighed the
    warning and proceed, with a reason (recorded and audited by the service)."""

    reason: str
    codes: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.reason or not self.reason.strip():
            raise InvalidClinicalInput(
                "acknowledgment_reason_required",
                "An acknowledgment needs a written clinical reason.",
            )
        if not self.codes:
            raise InvalidClinicalInput(
                "acknowledgment_codes_required", "Name the warning codes you acknowledge."
            )


@dataclass(frozen=True, slots=True)
class GateDecision:
    blockers: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    # Warnings that stop the step until a licensed clinician acknowledges them with a reason.
    acknowledgments: tuple[Finding, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.blockers and not self.acknowledgments

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(b.code for b in self.blockers)

    @property
    def acknowledgment_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.acknowledgments)

    def unacknowledged(self, acknowledgment: Acknowledgment | None) -> tuple[Finding, ...]:
        if acknowledgment is None:
            return self.acknowledgments
        return tuple(a for a in self.acknowledgments if a.code not in acknowledgment.codes)

    def unresolved(self, override: Override | None) -> tuple[Finding, ...]:
        """Blockers still standing after ``override`` (non-overridable ones always stand)."""
        if override is None:
            return self.blockers
        return tuple(b for b in self.blockers if not b.overridable or b.code not in override.codes)

    def enforce(
        self, override: Override | None = None, acknowledgment: Acknowledgment | None = None
    ) -> tuple[Finding, ...]:
        """Raise ``GateBlocked`` for unresolved blockers or unacknowledged warnings; return
        the blockers overridden."""
        standing = self.unresolved(override)
        pending = self.unacknowledged(acknowledgment)
        if standing or pending:
            raise GateBlocked(
                GateDecision(blockers=standing, warnings=self.warnings, acknowledgments=pending)
            )
        return self.blockers

    def merge(self, other: GateDecision) -> GateDecision:
        return GateDecision(
            self.blockers + other.blockers,
            self.warnings + other.warnings,
            self.acknowledgments + other.acknowledgments,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "blockers": [b.as_dict() for b in self.blockers],
            "acknowledgments_required": [
                {**a.as_dict(), "overridable": False, "acknowledge": True}
                for a in self.acknowledgments
            ],
            "warnings": [w.as_dict() for w in self.warnings],
        }
