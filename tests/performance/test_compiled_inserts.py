"""An INSERT compiled once (ketacare/compiled_inserts.py) writes exactly the row the ORM's
``save()`` writes, column for column as stored, for the two rows every vitals write adds: the
nurse's reading and its audit entry. The database still refuses what it refused, the failed
write's transaction still rolls back, and a clinical record still cannot be inserted outside
a service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Now
from tests.support.clinic_records import session as scheduled_session

from ketacare.audit.models import AuditEntry, ImmutableRecordError, service_write
from ketacare.audit.services import _INSERT_ENTRY, CurrentTransactionId
from ketacare.treatment.models import VitalsReading
from ketacare.treatment.services import _INSERT_READING

pytestmark = pytest.mark.django_db

TAKEN_AT = datetime(2026, 12, 3, 9, 41, 7, 250_000, tzinfo=UTC)
# The same instant as a tablet two hours east of UTC sends it.
TAKEN_AT_EAST = TAKEN_AT.astimezone(timezone(timedelta(hours=2)))
BP_HIGH = [{"code": "bp_high", "message": "Systolic 162 mmHg is above 160.", "value": 162.5}]


def _stored(model, pk: int) -> dict:
    """The row as the database holds it (no ORM conversion), every column but the id."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        names = [c[0] for c in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    assert row.pop("id") == pk
    return row


def _reading(nurse, session, **changes) -> VitalsReading:
    values = {
        "clinic": nurse.clinic,
        "created_at": TAKEN_AT + timedelta(seconds=3),
        "created_by": nurse,
        "session": session,
        "taken_at": TAKEN_AT,
        "phase": "pre_dose",
        "systolic_mmhg": 162,
        "diastolic_mmhg": 94,
        "heart_rate_bpm": 88,
        "spo2_percent": 97,
        "respiratory_rate_per_min": 16,
        "alerts": BP_HIGH,
    }
    return VitalsReading(**{**values, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {},  # a hypertensive pre-dose reading with its alert
        {"alerts": [], "phase": "post_dose", "systolic_mmhg": 118},  # a normal one, no alerts
        {"taken_at": TAKEN_AT_EAST},  # sent with a UTC offset: stored as the same instant
        {"created_by": None},  # recorded by the system (created_by may be empty)
    ],
    ids=["alert", "no-alerts", "utc-offset", "no-author"],
)
def test_a_reading_inserted_compiled_is_the_row_the_orm_writes(nurse, prescriber, patient, changes):
    session = scheduled_session(prescriber, patient)
    by_orm, compiled = _reading(nurse, session, **changes), _reading(nurse, session, **changes)
    with service_write():
        by_orm.save(force_insert=True)
        _INSERT_READING.insert(compiled)
    assert compiled.pk is not None
    assert compiled.pk != by_orm.pk
    assert _stored(VitalsReading, compiled.pk) == _stored(VitalsReading, by_orm.pk)
    # The instance is a saved row, as after save(): the next save() would be an UPDATE.
    assert (compiled._state.adding, compiled._state.db) == (False, "default")
    assert VitalsReading.objects.get(pk=compiled.pk).alerts == changes.get("alerts", BP_HIGH)


def _entry(nurse, **changes) -> AuditEntry:
    values = {
        "occurred_at": TAKEN_AT,
        "actor": nurse,
        "actor_username": nurse.username,
        "actor_role": nurse.role,
        "clinic_id_snapshot": nurse.clinic_id,
        "action": "create",
        "target_type": "treatment.VitalsReading",
        "target_id": "4711",
        "patient_id_snapshot": 42,
        "summary": "vital signs recorded",
        "changes": {"after": {"bp": "162/94", "spo2_percent": 97, "alerts": ["bp_high"]}},
        "channel": "api",
        "ip_address": "10.20.0.7",
        "user_agent": "KetaCare tablet/3.1",
        "request_id": "req-5b1f",
    }
    return AuditEntry(**{**values, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {},  # the vitals write's entry
        {"actor": None, "actor_username": "system", "actor_role": "", "ip_address": None},
        {"action": "refused", "changes": {"blockers": ["bp_above_threshold"]}, "reason": "x"},
    ],
    ids=["vitals-write", "system", "refused"],
)
def test_an_audit_entry_inserted_compiled_is_the_row_the_orm_writes(nurse, changes):
    by_orm, compiled = _entry(nurse, **changes), _entry(nurse, **changes)
    if connection.vendor == "postgresql":
        by_orm.txid = CurrentTransactionId()  # as the ORM path set it
    by_orm.save(force_insert=True)
    _INSERT_ENTRY.insert(compiled)
    stored = _stored(AuditEntry, compiled.pk)
    assert stored == _stored(AuditEntry, by_orm.pk)
    if connection.vendor == "postgresql":
        # Both were inserted by this test's transaction: the same id, read back as a number.
        assert isinstance(compiled.txid, int)
        assert compiled.txid == by_orm.txid == stored["txid"]
    else:
        assert compiled.txid is None
        assert stored["txid"] is None


def test_a_reading_the_database_refuses_rolls_the_write_back(nurse, prescriber, patient):
    session = scheduled_session(prescriber, patient)
    missing_pressure = _reading(nurse, session, systolic_mmhg=None)  # NOT NULL
    with transaction.atomic(), service_write():
        with pytest.raises(IntegrityError):
            _INSERT_READING.insert(missing_pressure)
        # As after a failed save(): the write's transaction can only roll back.
        assert transaction.get_rollback()
    assert not VitalsReading.objects.filter(session=session).exists()


def test_a_reading_cannot_be_inserted_outside_a_service(nurse, prescriber, patient):
    session = scheduled_session(prescriber, patient)
    with pytest.raises(ImmutableRecordError):
        _INSERT_READING.insert(_reading(nurse, session))
    assert not VitalsReading.objects.filter(session=session).exists()


def test_only_new_entries_are_inserted_and_the_transaction_id_is_the_databases(nurse):
    entry = _entry(nurse)
    _INSERT_ENTRY.insert(entry)
    with pytest.raises(ValueError, match="without an id"):
        _INSERT_ENTRY.insert(entry)  # already written: the log is append-only
    if connection.vendor == "postgresql":
        with pytest.raises(ValueError, match="computed by the database"):
            _INSERT_ENTRY.insert(_entry(nurse, txid=1))
    assert AuditEntry.objects.filter(target_id="4711").count() == 1


def test_an_sql_expression_the_insert_was_not_compiled_with_is_refused(nurse, prescriber, patient):
    session = scheduled_session(prescriber, patient)
    with service_write(), pytest.raises(TypeError, match="created_at"):
        _INSERT_READING.insert(_reading(nurse, session, created_at=Now()))
    assert not VitalsReading.objects.filter(session=session).exists()
