"""FHIR errors: every refusal of the FHIR server is an OperationOutcome with a 4xx status.

``FhirError(status, issue_code, diagnostics)``: ``issue_code`` is from the R4 IssueType value
set (invalid, structure, required, value, not-found, forbidden, login, not-supported,
processing, too-costly, code-invalid, exception...). Messages never contain patient identifiers.
"""

from __future__ import annotations

from typing import Any


class FhirError(Exception):
    def __init__(
        self,
        status: int,
        issue_code: str,
        diagnostics: str,
        *,
        details_code: str | None = None,
        expression: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.issue_code = issue_code
        self.diagnostics = diagnostics
        self.details_code = details_code
        self.expression = expression
        self.headers = headers or {}

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(
            self.issue_code,
            self.diagnostics,
            details_code=self.details_code,
            expression=self.expression,
        )


def operation_outcome(
    issue_code: str,
    diagnostics: str,
    *,
    severity: str = "error",
    details_code: str | None = None,
    expression: list[str] | None = None,
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": issue_code, "diagnostics": diagnostics}
    if details_code:
        # KetaCare's stable error code (the API's "code"), so integrators can branch on it.
        issue["details"] = {
            "coding": [
                {"system": "https://fhir.ketacare.example/CodeSystem/error", "code": details_code}
            ],
            "text": diagnostics,
        }
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def not_found(resource_type: str) -> FhirError:
    return FhirError(
        404, "not-found", f"No {resource_type} with that id.", details_code="not_found"
    )
