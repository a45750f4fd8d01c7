"""Clinical gates as data.

A gate check returns a ``GateDecision``: the blockers (each with a stable code, a
clinician-readable message and its source) and any non-blocking warnings. A service refuses
the action with ``GateBlocked`` unless every blocker is covered by an ``Override`` from a
licensed prescriber with a reason. Some blockers (an absolute contraindication, a dose above
the hard ceiling) are not overridable at all.
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
class GateDecision:
    blockers: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.blockers

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(b.code for b in self.blockers)

    def unresolved(self, override: Override | None) -> tuple[Finding, ...]:
        """Blockers still standing after ``override`` (non-overridable ones always stand)."""
        if override is None:
            return self.blockers
        return tuple(b for b in self.blockers if not b.overridable or b.code not in override.codes)

    def enforce(self, override: Override | None = None) -> tuple[Finding, ...]:
        """Raise ``GateBlocked`` for unresolved blockers; return the blockers overridden."""
        standing = self.unresolved(override)
        if standing:
            raise GateBlocked(GateDecision(blockers=standing, warnings=self.warnings))
        return self.blockers

    def merge(self, other: GateDecision) -> GateDecision:
        return GateDecision(self.blockers + other.blockers, self.warnings + other.warnings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "blockers": [b.as_dict() for b in self.blockers],
            "warnings": [w.as_dict() for w in self.warnings],
        }
