"""De-identification primitives (no Django): pseudonyms, top-coded ages, relative days.

Implements the HIPAA Privacy Rule Safe Harbor transformations KetaCare's export needs
(45 CFR 164.514(b)(2)(i)): record numbers and ids are replaced by pseudonyms (item R: "any
other unique identifying number"), ages of 90 and above become the single category "90+"
(item C), and every date becomes whole days relative to the patient's first dose (item C: no
element of a date). Names, MRN, phone, e-mail, address, emergency contact and free text are
never read into an export row at all (``services`` selects only the columns it exports).

Pseudonyms are HMAC-SHA256 of the record id under a per-export random key (``new_export_key``)
that is used once and never stored: two exports of the same patient cannot be linked to each
other or back to the record. Not done: date shifting, k-anonymity of row-level quasi
identifiers (sex, age, protocol): see docs/clinical-sources.md "Research and de-identification".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.clinical.sources import Grade, Source, cited

METHOD_VERSION = "ketacare-safe-harbor-1"

HIPAA_SAFE_HARBOR = Source(
    key="hipaa_164_514_b_2",
    citation=(
        "45 CFR 164.514(b)(2)(i) (HIPAA Privacy Rule, Safe Harbor de-identification): "
        "identifiers (A)-(R); (C) all elements of dates (except year) and all ages over 89, "
        "which may be aggregated into a single category of age 90 or older"
    ),
    url="https://www.calhipaa.com/what-are-the-18-phi-identifiers",
    locator="164.514(b)(2)(i)(C)",
    grade=Grade.PRIMARY,
    mandatory=True,
)

DEID_AGE_TOP_CODE_YEARS = cited(
    "DEID_AGE_TOP_CODE_YEARS", 90, "years (at or above: '90+')", HIPAA_SAFE_HARBOR
)

PSEUDONYM_HEX_CHARS = 32  # 128 bits of the HMAC: collisions are negligible at clinic scale


def new_export_key() -> bytes:
    """A fresh 256-bit key for one export; callers must not store it."""
    return secrets.token_bytes(32)


def pseudonym(key: bytes, kind: str, record_id: int) -> str:
    """HMAC-SHA256 of ``kind:record_id`` under the export key, as hex."""
    if len(key) < 32:
        raise InvalidClinicalInput("export_key_too_short", "An export key needs 256 bits.")
    message = f"{kind}:{int(record_id)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]


def age_in_years(date_of_birth: date, on: date) -> int:
    if on < date_of_birth:
        raise InvalidClinicalInput("age_before_birth", "The first dose cannot precede birth.")
    return (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )


def age_label(age_years: int) -> str:
    """Whole years as text, or "90+" at and above the Safe Harbor top code."""
    return f"{DEID_AGE_TOP_CODE_YEARS}+" if age_years >= DEID_AGE_TOP_CODE_YEARS else str(age_years)


def age_at_first_dose_label(date_of_birth: date, first_dose_on: date) -> str:
    return age_label(age_in_years(date_of_birth, first_dose_on))


def days_since(anchor: date, on: date | None) -> int | None:
    """Whole days from the anchor (the first dose's day) to ``on``; negative before it."""
    return None if on is None else (on - anchor).days
