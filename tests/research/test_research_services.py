"""De-identified cohort exports: identifiers gone, unlinkable pseudonyms, Safe Harbor ages,
audited, permission-checked, clinic-scoped, and a bounded number of queries."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.accounts.permissions import PermissionDenied
from ketacare.audit.models import AuditEntry
from ketacare.clinical.errors import InvalidClinicalInput
from ketacare.research.cohorts import Cohort
from ketacare.research.models import ResearchExport, ResearchSettings
from ketacare.research.selectors import min_cell_count_for, read_export_file
from ketacare.research.services import (
    export_deidentified_cohort,
    export_dir,
    record_research_settings,
)

FIRST_DOSE = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ISO_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b|\b\d{1,2}/\d{1,2}/(19|20)?\d\d\b")


@pytest.fixture
def k1(clinic_admin):
    """A clinic that allows single-patient cells, so small scenarios can export."""
    return record_research_settings(actor=clinic_admin, min_cell_count=1)


def _tables(export, researcher) -> dict[str, list[dict[str, str]]]:
    _, data = read_export_file(researcher, export.pk)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name.removesuffix(".csv"): list(
                csv.DictReader(io.StringIO(archive.read(name).decode()))
            )
            for name in archive.namelist()
            if name.endswith(".csv")
        }


def _cells(tables) -> list[str]:
    return [v for rows in tables.values() for row in rows for v in [*row.keys(), *row.values()]]


def test_export_contains_no_identifier_of_the_patient(prescriber, researcher, treated, k1):
    t = treated(prescriber, first_dose_at=FIRST_DOSE)
    p = t.patient
    export = export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF)
    tables = _tables(export, researcher)
    assert len(tables["patients"]) == 1
    assert len(tables["sessions"]) == 2
    assert len(tables["adverse_events"]) == 1
    forbidden = [
        p.given_name, p.family_name, p.mrn, p.phone, p.email, "Elm Street", "Sam Alvarez",
        "LOT-XYZ-123", "detached", "partner",
        *(d.isoformat() for d in t.absolute_dates),
        *(d.strftime("%m/%d/%Y") for d in t.absolute_dates),
    ]  # fmt: skip
    for cell in _cells(tables):
        for needle in forbidden:
            assert needle.lower() not in cell.lower(), (needle, cell)
        assert not ISO_DATE.search(cell), cell
    # The raw patient id (a small integer here) can only hide in an id column: there is none,
    # and every "patient" cell is a 32-hex pseudonym, never the id.
    columns = {c for rows in tables.values() for row in rows for c in row}
    assert not {c for c in columns if c == "id" or c.endswith("_id")}
    pseudonyms = {row["patient"] for rows in tables.values() for row in rows if "patient" in row}
    assert len(pseudonyms) == 1
    assert all(re.fullmatch(r"[0-9a-f]{32}", v) and v != str(p.pk) for v in pseudonyms)
    assert tables["patients"][0]["age_at_first_dose"] == "44"  # 17 May 1980 -> 10 Mar 2025
    assert tables["sessions"][0]["dose_day"] == "0"
    assert tables["sessions"][1]["dose_day"] == "3"
    days = [row["day"] for row in tables["assessments"]]
    assert days == ["-2", "7", "21"]


def test_pseudonyms_of_the_same_patient_differ_between_two_exports(
    prescriber, researcher, treated, k1
):
    treated(prescriber, first_dose_at=FIRST_DOSE)
    first = _tables(
        export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF), researcher
    )
    second = _tables(
        export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF), researcher
    )
    a, b = first["patients"][0]["patient"], second["patients"][0]["patient"]
    assert a != b
    assert len(a) == 32
    assert first["patients"][0]["sex"] == second["patients"][0]["sex"]


# Safe Harbor, 45 CFR 164.514(b)(2)(i)(C): ages over 89 -> one category "90 or older".
@pytest.mark.parametrize(("age", "label"), [(89, "89"), (90, "90+"), (91, "90+")])
def test_ages_from_ninety_are_collapsed_to_90_plus(prescriber, researcher, treated, k1, age, label):
    dob = date(FIRST_DOSE.year - age, 1, 15)  # birthday passed before 10 March
    treated(prescriber, first_dose_at=FIRST_DOSE, date_of_birth=dob)
    tables = _tables(
        export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF), researcher
    )
    assert tables["patients"][0]["age_at_first_dose"] == label


def test_export_is_audited_with_cohort_and_counts(prescriber, researcher, treated, k1):
    treated(prescriber, first_dose_at=FIRST_DOSE)
    cohort = Cohort(protocol_codes=("in_esketamine_trd",), treatment_resistant=True)
    export = export_deidentified_cohort(actor=researcher, cohort=cohort, as_of=AS_OF)
    entry = AuditEntry.objects.get(action="export", target_id=str(export.pk))
    assert entry.actor == researcher
    assert entry.changes["after"]["cohort"]["protocol_codes"] == ["in_esketamine_trd"]
    assert entry.changes["after"]["patients"] == 1
    assert entry.changes["after"]["row_counts"]["sessions"] == 2
    assert export.sha256 == entry.changes["after"]["sha256"]
    assert export.method_version == "ketacare-safe-harbor-1"


def test_stored_zip_is_owner_only_and_matches_its_digest(prescriber, researcher, treated, k1):
    import hashlib

    treated(prescriber, first_dose_at=FIRST_DOSE)
    export = export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF)
    path = export_dir() / export.file_name
    assert path.stat().st_mode & 0o777 == 0o600
    assert export_dir().stat().st_mode & 0o777 == 0o700
    assert hashlib.sha256(path.read_bytes()).hexdigest() == export.sha256


def test_a_tampered_file_is_not_served(prescriber, researcher, treated, k1):
    treated(prescriber, first_dose_at=FIRST_DOSE)
    export = export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF)
    (export_dir() / export.file_name).write_bytes(b"changed")
    with pytest.raises(InvalidClinicalInput) as exc:
        read_export_file(researcher, export.pk)
    assert exc.value.code == "export_file_integrity_failed"


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist", "frontdesk", "clinic_admin"])
def test_staff_without_the_export_permission_are_refused_and_nothing_is_written(
    request, prescriber, treated, unchanged, k1, role
):
    treated(prescriber, first_dose_at=FIRST_DOSE)
    actor = request.getfixturevalue(role)
    check = unchanged(ResearchExport)
    with pytest.raises(PermissionDenied):
        export_deidentified_cohort(actor=actor, cohort=Cohort(), as_of=AS_OF)
    check()


def test_other_clinics_patients_are_never_included(prescriber, outsider, researcher, treated, k1):
    treated(prescriber, first_dose_at=FIRST_DOSE)
    treated(outsider, first_dose_at=FIRST_DOSE, given="Blake", family="Outside")
    export = export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF)
    assert export.patient_count == 1
    assert "outside" not in " ".join(_cells(_tables(export, researcher))).lower()


def test_only_the_exporting_researcher_may_download(prescriber, researcher, clinic_a, treated, k1):
    from ketacare.access import NotFound
    from ketacare.accounts.services import create_user

    treated(prescriber, first_dose_at=FIRST_DOSE)
    export = export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF)
    colleague = create_user(
        actor=None, clinic=clinic_a, username="researcher_a2", password="correct horse battery",
        role="researcher", validate=False,
    )  # fmt: skip
    with pytest.raises(NotFound):
        read_export_file(colleague, export.pk)
    assert read_export_file(researcher, export.pk)[0] == export


def test_cohort_filters_select_by_protocol_age_trd_and_baseline_band(
    prescriber, researcher, treated, k1
):
    treated(prescriber, first_dose_at=FIRST_DOSE, given="A", family="One")  # 44, TRD, severe
    treated(
        prescriber, first_dose_at=FIRST_DOSE, given="B", family="Two", code="iv_racemic_elektd",
        treatment_resistant=False, phq9=((-1, 12), (7, 5)), date_of_birth=date(1960, 1, 1),
    )  # fmt: skip

    def count(**kwargs) -> int:
        return export_deidentified_cohort(
            actor=researcher, cohort=Cohort(**kwargs), as_of=AS_OF
        ).patient_count

    assert count(protocol_codes=("iv_racemic_elektd",)) == 1
    assert count(age_min=60) == 1
    assert count(treatment_resistant=True) == 1
    assert count(baseline_severity=("moderate",)) == 1
    assert count(first_dose_from=date(2025, 3, 10), first_dose_to=date(2025, 3, 10)) == 2
    with pytest.raises(InvalidClinicalInput) as exc:
        count(first_dose_from=date(2025, 3, 11))
    assert exc.value.code == "cohort_below_minimum_cell_count"


# Small cohorts: refused below the clinic's k (CMS default 11 when unset), table at k-1/k/k+1.
@pytest.mark.parametrize(("patients", "allowed"), [(2, False), (3, True), (4, True)])
def test_cohort_smaller_than_the_minimum_cell_count_is_refused(
    clinic_admin, prescriber, researcher, treated, unchanged, patients, allowed
):
    record_research_settings(actor=clinic_admin, min_cell_count=3)
    for i in range(patients):
        treated(prescriber, first_dose_at=FIRST_DOSE, given=f"P{i}", family=f"F{i}")
    if allowed:
        assert (
            export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF).patient_count
            == patients
        )
        return
    check = unchanged(ResearchExport)
    with pytest.raises(InvalidClinicalInput):
        export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF)
    check()
    assert list(export_dir().glob("*.zip")) == [] if export_dir().exists() else True


def test_minimum_cell_count_defaults_to_cms_eleven_and_is_clinic_configurable(
    clinic_a, clinic_admin, nurse
):
    assert min_cell_count_for(clinic_a.pk) == 11
    record_research_settings(actor=clinic_admin, min_cell_count=5)
    assert min_cell_count_for(clinic_a.pk) == 5
    with pytest.raises(PermissionDenied):
        record_research_settings(actor=nurse, min_cell_count=2)
    assert ResearchSettings.objects.count() == 1


def test_export_query_count_does_not_grow_with_patients(prescriber, researcher, treated, k1):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            export_deidentified_cohort(actor=researcher, cohort=Cohort(), as_of=AS_OF)
        return len(ctx.captured_queries)

    treated(prescriber, first_dose_at=FIRST_DOSE, given="A", family="One")
    one = queries()
    for i in range(5):
        treated(prescriber, first_dose_at=FIRST_DOSE + timedelta(days=i), given=f"N{i}", family="M")
    assert queries() == one
