"""The FHIR R4 server's resource types: where each comes from, how it is searched and read.

Every type is a ``ResourceKind``: one or more ``Source`` tables (Observation gathers scale
totals, four vital signs per reading, weights and session scales), its search parameters,
``_include`` targets and interactions. The views (``views.py``), the CapabilityStatement
(``capability.py``) and Bulk export (``bulk.py``) all read this one registry, so the
CapabilityStatement lists exactly what the views do.

Access follows the API exactly: the caller's scopes must allow the interaction
(``access.require_scope``); a read or a search for one patient goes through
``patients.selectors.access_patient`` (role permission, clinic, one audited read, the same
"not found" for absent and another clinic's patient); clinical types also need the clinical
read permission; a clinic-wide search filters to the caller's clinic and writes one audited
read for the request. A SMART patient context confines everything to that patient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from ketacare.access import NotFound
from ketacare.accounts.models import Role, User
from ketacare.accounts.permissions import Permission, PermissionDenied, require_permission
from ketacare.audit.models import AuditEntry
from ketacare.audit.services import record_read
from ketacare.careplans.models import CarePlan
from ketacare.clinical.plausibility import is_ascii_digits
from ketacare.clinical.scales import SCALES, ScaleKind
from ketacare.consent.models import ConsentSignature
from ketacare.interop.fhir import codes as c
from ketacare.interop.fhir import resources as r
from ketacare.interop.fhir.access import CLINICAL_READ, FhirPrincipal, require_scope
from ketacare.interop.fhir.bulk_rows import FAST_PATHS, encode, patient_of
from ketacare.interop.fhir.errors import FhirError, not_found
from ketacare.interop.fhir.search import (
    DateRange,
    Token,
    parse_date,
    parse_reference,
    parse_tokens,
)
from ketacare.measures.models import Assessment
from ketacare.patients.models import (
    Diagnosis,
    Medication,
    MedicationTrial,
    Patient,
    WeightMeasurement,
)
from ketacare.patients.selectors import access_own_patient, access_patient
from ketacare.treatment.models import (
    AdverseEventRecord,
    Course,
    DoseAdministration,
    SessionObservation,
    TreatmentSession,
    VitalsReading,
)

Json = dict[str, Any]
NO_MATCH = object()  # a filter no row of a source can satisfy: the source is skipped


@dataclass(frozen=True)
class Source:
    """One table behind a FHIR type. ``fields`` maps generic parameter roles to ORM paths:
    ``patient``, ``date``, ``encounter``, ``updated`` (for ``_since``/``_lastUpdated``)."""

    name: str
    queryset: Callable[[], QuerySet]
    build: Callable[[Any], Json]
    fields: dict[str, str]
    prefix: str | None = None  # ids "<prefix>-<pk>"; None: the bare pk
    codes: tuple[tuple[str, str], ...] = ()  # the code every row has (vital signs, weight)
    code_q: Callable[[list[Token]], Any] | None = None  # rows' codes vary: a Q or NO_MATCH
    categories: frozenset[str] = frozenset()
    status_q: Callable[[list[Token]], Any] | None = None
    clinic_field: str = "clinic_id"
    order: tuple[str, ...] = ("pk",)
    # Sources with the same key read the same rows (the four vital signs of a reading):
    # Bulk export reads them once and builds each source's resource from every row.
    shared: str | None = None

    def fhir_id(self, pk: int) -> str:
        return f"{self.prefix}-{pk}" if self.prefix else str(pk)

    def pk_from(self, fhir_id: str) -> int | None:
        if self.prefix:
            head, _, tail = fhir_id.rpartition("-")
            if head != self.prefix:
                return None
            fhir_id = tail
        if not is_ascii_digits(fhir_id) or len(fhir_id) > 18:
            return None
        return int(fhir_id)

    def match_codes(self, tokens: list[Token]) -> Any:
        if self.code_q is not None:
            return self.code_q(tokens)
        if any(t.matches(s, code) for t in tokens for s, code in self.codes):
            return Q()
        return NO_MATCH


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR SearchParamType: token | reference | date | string | uri
    documentation: str
    apply: Callable[[Source, str], Any]  # a Q, or NO_MATCH
    definition: str | None = None  # the R4 SearchParameter canonical


@dataclass(frozen=True)
class ResourceKind:
    name: str
    sources: tuple[Source, ...]
    params: tuple[Param, ...]
    clinical: bool = True  # needs the clinical read permission
    compartment: bool = True  # belongs to a patient (searchable by patient)
    includes: tuple[str, ...] = ()  # "<Type>:<param>" targets, each a Patient reference
    create: Callable[..., Json] | None = None  # set by writes.py for creatable types
    profiles: tuple[str, ...] = ()
    admin_only: bool = False

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


# --- generic parameter handlers -----------------------------------------------------------------


def _ref_param(name: str, role: str, target: str, doc: str) -> Param:
    def apply(source: Source, value: str) -> Any:
        path = source.fields.get(role)
        if path is None:
            return NO_MATCH
        return Q(**{f"{path}__in": parse_reference(name, value, target)})

    return Param(name, "reference", doc, apply)


def _date_param(name: str, doc: str, role: str = "date") -> Param:
    def apply(source: Source, value: str) -> Any:
        path = source.fields.get(role)
        if path is None:
            return NO_MATCH
        rng: DateRange = parse_date(name, value)
        return rng.q(path)

    return Param(name, "date", doc, apply)


def _code_param(name: str = "code", doc: str = "A code of the resource (system|code).") -> Param:
    def apply(source: Source, value: str) -> Any:
        return source.match_codes(parse_tokens(name, value))

    return Param(name, "token", doc, apply)


def _category_param(doc: str) -> Param:
    def apply(source: Source, value: str) -> Any:
        tokens = parse_tokens("category", value)
        systems = (c.OBSERVATION_CATEGORY, c.CONDITION_CATEGORY, c.LOCAL)
        if any(t.matches(s, cat) for t in tokens for cat in source.categories for s in systems):
            return Q()
        return NO_MATCH

    return Param("category", "token", doc, apply)


def _status_param(name: str, doc: str) -> Param:
    def apply(source: Source, value: str) -> Any:
        if source.status_q is None:
            return NO_MATCH
        return source.status_q(parse_tokens(name, value))

    return Param(name, "token", doc, apply)


def _id_param() -> Param:
    def apply(source: Source, value: str) -> Any:
        pks = [source.pk_from(v.strip()) for v in value.split(",")]
        pks = [pk for pk in pks if pk is not None]
        return Q(pk__in=pks) if pks else NO_MATCH

    return Param("_id", "token", "The resource's logical id.", apply)


def _status_map(mapping: dict[str, Iterable[str]], path: str) -> Callable[[list[Token]], Any]:
    """FHIR status codes -> the stored values that produce them."""

    def status_q(tokens: list[Token]) -> Any:
        values = [v for t in tokens if t.code in mapping for v in mapping[t.code]]
        return Q(**{f"{path}__in": values}) if values else NO_MATCH

    return status_q


def _patient_params(*, subject: bool = True, patient: bool = True) -> tuple[Param, ...]:
    out = []
    if patient:
        out.append(_ref_param("patient", "patient", "Patient", "The patient (Patient/<id>)."))
    if subject:
        out.append(_ref_param("subject", "patient", "Patient", "The subject (Patient/<id>)."))
    return tuple(out)


# --- sources ------------------------------------------------------------------------------------


def _assessment_codes(tokens: list[Token]) -> Any:
    instruments = [
        code
        for code, (system, total, _d) in c.SCALE_TOTAL_CODES.items()
        for t in tokens
        if t.matches(system, total)
    ]
    return Q(instrument__in=instruments) if instruments else NO_MATCH


def _diagnosis_codes(tokens: list[Token]) -> Any:
    codes = [t.code for t in tokens if t.code and t.system in (None, c.ICD10CM)]
    any_icd = any(t.system == c.ICD10CM and t.code is None for t in tokens)
    if any_icd:
        return Q()
    return Q(icd10_code__in=codes) if codes else NO_MATCH


def _session_patient(row: Any) -> int:
    return row.session.patient_id


def _vitals(prefix: str, loinc: str, build: Callable[[Any, int], Json]) -> Source:
    return Source(
        name=prefix,
        queryset=lambda: (
            VitalsReading.objects.current()
            .select_related("session")
            .only(
                "pk",
                "created_at",
                "taken_at",
                "systolic_mmhg",
                "diastolic_mmhg",
                "heart_rate_bpm",
                "spo2_percent",
                "respiratory_rate_per_min",
                "session_id",
                "session__patient_id",
            )
        ),
        build=lambda row: build(row, row.session.patient_id),
        fields={
            "patient": "session__patient_id",
            "date": "taken_at",
            "encounter": "session_id",
            "updated": "created_at",
        },
        prefix=prefix,
        codes=((c.LOINC, loinc),) + (((c.LOINC, c.SPO2_ARTERIAL),) if loinc == c.SPO2 else ()),
        categories=frozenset({"vital-signs"}),
        order=("taken_at", "pk"),
        shared="vitals",
    )


ASSESSMENTS = Source(
    name="assessment",
    queryset=lambda: Assessment.objects.all(),
    build=r.scale_observation,
    fields={
        "patient": "patient_id",
        "date": "taken_at",
        "encounter": "session_id",
        "updated": "created_at",
    },
    prefix="assessment",
    code_q=_assessment_codes,
    categories=frozenset({"survey"}),
    order=("taken_at", "pk"),
)
WEIGHTS = Source(
    name="weight",
    queryset=lambda: WeightMeasurement.objects.all(),
    build=r.body_weight,
    fields={"patient": "patient_id", "date": "measured_at", "updated": "created_at"},
    prefix="weight",
    codes=((c.LOINC, c.BODY_WEIGHT),),
    categories=frozenset({"vital-signs"}),
    order=("measured_at", "pk"),
)
SESSION_SCALES = Source(
    name="session-scale",
    queryset=lambda: SessionObservation.objects.select_related("session").only(
        "pk", "created_at", "observed_at", "scale", "total", "session_id", "session__patient_id"
    ),
    build=lambda row: r.session_scale(row, row.session.patient_id),
    fields={
        "patient": "session__patient_id",
        "date": "observed_at",
        "encounter": "session_id",
        "updated": "created_at",
    },
    prefix="session-scale",
    code_q=lambda tokens: (
        Q(
            scale__in=[
                s
                for s, code in c.SESSION_SCALE_CODES.items()
                if any(t.matches(c.LOCAL, code) for t in tokens)
            ]
        )
        if any(t.matches(c.LOCAL, code) for t in tokens for code in c.SESSION_SCALE_CODES.values())
        else NO_MATCH
    ),
    categories=frozenset({"exam"}),
    order=("observed_at", "pk"),
)

OBSERVATION_SOURCES = (
    ASSESSMENTS,
    _vitals("bp", c.BP_PANEL, r.blood_pressure),
    _vitals("heart-rate", c.HEART_RATE, r.heart_rate),
    _vitals("spo2", c.SPO2, r.oxygen_saturation),
    _vitals("resp-rate", c.RESPIRATORY_RATE, r.respiratory_rate),
    WEIGHTS,
    SESSION_SCALES,
)

PATIENT_SOURCE = Source(
    name="patient",
    queryset=lambda: Patient.objects.all(),
    build=r.patient,
    fields={"patient": "pk", "date": "date_of_birth", "updated": "updated_at"},
    order=("pk",),
)


def _patient_identifier(source: Source, value: str) -> Any:
    qs = Q(pk__in=[])
    for t in parse_tokens("identifier", value):
        q = Q(mrn=t.code) if t.code else Q()
        if t.system:
            prefix = c.MRN_SYSTEM_PREFIX
            if not t.system.startswith(prefix) or not is_ascii_digits(t.system[len(prefix) :]):
                continue
            q &= Q(clinic_id=int(t.system[len(prefix) :]))
        qs |= q
    return qs


def _patient_name(field_names: tuple[str, ...]) -> Callable[[Source, str], Any]:
    def apply(source: Source, value: str) -> Any:
        q = Q(pk__in=[])
        for part in value.split(","):
            part = part.strip()
            for f in field_names:
                # FHIR string search: case-insensitive match at the start of the name.
                q |= Q(**{f"{f}__istartswith": part})
        return q

    return apply


def _gender(source: Source, value: str) -> Any:
    stored = {"female": ["female"], "male": ["male"], "other": ["intersex"], "unknown": ["unknown"]}
    values = [v for t in parse_tokens("gender", value) if t.code in stored for v in stored[t.code]]
    return Q(sex__in=values) if values else NO_MATCH


def _birthdate(source: Source, value: str) -> Any:
    rng = parse_date("birthdate", value)
    # birthDate is a date: compare on dates so a day's range holds exactly that day.
    start, end = rng.start.date(), rng.end.date()
    f = "date_of_birth"
    return {
        "eq": Q(**{f"{f}__gte": start, f"{f}__lt": end}),
        "ne": Q(**{f"{f}__lt": start}) | Q(**{f"{f}__gte": end}),
        "gt": Q(**{f"{f}__gte": end}),
        "sa": Q(**{f"{f}__gte": end}),
        "lt": Q(**{f"{f}__lt": start}),
        "eb": Q(**{f"{f}__lt": start}),
        "ge": Q(**{f"{f}__gte": start}),
        "le": Q(**{f"{f}__lt": end}),
    }[rng.prefix]


PATIENT = ResourceKind(
    name="Patient",
    sources=(PATIENT_SOURCE,),
    params=(
        _id_param(),
        Param("identifier", "token", "Medical record number (system|value).", _patient_identifier),
        Param(
            "name",
            "string",
            "Start of the given or family name.",
            _patient_name(("given_name", "family_name")),
        ),
        Param("family", "string", "Start of the family name.", _patient_name(("family_name",))),
        Param("given", "string", "Start of the given name.", _patient_name(("given_name",))),
        Param("birthdate", "date", "Date of birth (with prefixes).", _birthdate),
        Param("gender", "token", "Administrative gender.", _gender),
    ),
    clinical=False,
    profiles=(c.PROFILE_PATIENT,),
)

OBSERVATION = ResourceKind(
    name="Observation",
    sources=OBSERVATION_SOURCES,
    params=(
        _id_param(),
        *_patient_params(),
        _code_param(),
        _category_param("survey, vital-signs or exam."),
        _date_param("date", "When observed (effective), with prefixes."),
        _ref_param("encounter", "encounter", "Encounter", "The treatment session."),
    ),
    includes=("Observation:patient", "Observation:subject"),
)


def _condition_status(tokens: list[Token]) -> Any:
    wanted = {t.code for t in tokens}
    q = Q(pk__in=[])
    if "active" in wanted:
        q |= Q(status="active")
    if "resolved" in wanted:
        q |= Q(status="resolved")
    return q


CONDITION = ResourceKind(
    name="Condition",
    sources=(
        Source(
            name="diagnosis",
            queryset=lambda: Diagnosis.objects.all(),
            build=r.condition,
            fields={"patient": "patient_id", "date": "onset_date", "updated": "created_at"},
            code_q=_diagnosis_codes,
            categories=frozenset({"problem-list-item"}),
            status_q=_condition_status,
        ),
    ),
    params=(
        _id_param(),
        *_patient_params(),
        _code_param(doc="The ICD-10-CM code (http://hl7.org/fhir/sid/icd-10-cm|F33.1)."),
        _category_param("problem-list-item."),
        _status_param("clinical-status", "active or resolved."),
        _date_param("onset-date", "Onset date, with prefixes."),
    ),
    includes=("Condition:patient", "Condition:subject"),
)

_STATEMENT_STATUS = {
    "active": Q(superseded_by__isnull=True, stopped_on__isnull=True),
    "completed": Q(superseded_by__isnull=True, stopped_on__isnull=False),
    "entered-in-error": Q(superseded_by__isnull=False),
}


def _statement_status_q(kind: str) -> Callable[[list[Token]], Any]:
    def status_q(tokens: list[Token]) -> Any:
        q = Q(pk__in=[])
        hit = False
        for t in tokens:
            if kind == "trial":
                if t.code == "completed":
                    q |= Q(superseded_by__isnull=True)
                    hit = True
                elif t.code == "entered-in-error":
                    q |= Q(superseded_by__isnull=False)
                    hit = True
            elif t.code in _STATEMENT_STATUS:
                q |= _STATEMENT_STATUS[t.code]
                hit = True
        return q if hit else NO_MATCH

    return status_q


MEDICATION_STATEMENT = ResourceKind(
    name="MedicationStatement",
    sources=(
        Source(
            name="medication",
            queryset=lambda: Medication.objects.all(),
            build=r.medication_statement,
            fields={"patient": "patient_id", "date": "started_on", "updated": "created_at"},
            prefix="medication",
            status_q=_statement_status_q("medication"),
            categories=frozenset(),
        ),
        Source(
            name="trial",
            queryset=lambda: MedicationTrial.objects.all(),
            build=r.medication_trial_statement,
            fields={"patient": "patient_id", "updated": "created_at"},
            prefix="trial",
            status_q=_statement_status_q("trial"),
        ),
    ),
    params=(
        _id_param(),
        *_patient_params(),
        _status_param("status", "active, completed or entered-in-error."),
    ),
    includes=("MedicationStatement:patient", "MedicationStatement:subject"),
)

MEDICATION_REQUEST = ResourceKind(
    name="MedicationRequest",
    sources=(
        Source(
            name="course",
            queryset=lambda: Course.objects.all(),
            build=r.medication_request,
            fields={"patient": "patient_id", "date": "created_at", "updated": "created_at"},
            status_q=_status_map(
                {"active": ["active"], "completed": ["completed"], "stopped": ["stopped"]},
                "status",
            ),
            code_q=lambda tokens: _drug_q(tokens, "drug", "route"),
        ),
    ),
    params=(
        _id_param(),
        *_patient_params(subject=True),
        _code_param(doc="RxNorm code of the medicine."),
        _status_param("status", "active, completed or stopped."),
        _date_param("authoredon", "When the course was ordered, with prefixes."),
    ),
    includes=("MedicationRequest:patient", "MedicationRequest:subject"),
)


def _drug_q(tokens: list[Token], drug_field: str | None, route_field: str) -> Any:
    q = Q(pk__in=[])
    hit = False
    if any(t.matches(c.RXNORM, c.RXNORM_ESKETAMINE_NASAL_SPRAY) for t in tokens):
        q |= Q(**{route_field: "intranasal"})
        hit = True
    if any(t.matches(c.RXNORM, c.RXNORM_KETAMINE) for t in tokens):
        q |= ~Q(**{route_field: "intranasal"})
        hit = True
    return q if hit else NO_MATCH


def _dose_build(row: Any) -> Json:
    return r.medication_administration(row, row.session)


MEDICATION_ADMINISTRATION = ResourceKind(
    name="MedicationAdministration",
    sources=(
        Source(
            name="dose",
            queryset=lambda: DoseAdministration.objects.select_related("session"),
            build=_dose_build,
            fields={
                "patient": "session__patient_id",
                "date": "started_at",
                "encounter": "session_id",
                "request": "session__course_id",
                "updated": "created_at",
            },
            code_q=lambda tokens: _drug_q(tokens, None, "route"),
            order=("started_at", "pk"),
        ),
    ),
    params=(
        _id_param(),
        *_patient_params(),
        _code_param(doc="RxNorm code of the medicine."),
        _date_param("effective-time", "When given, with prefixes."),
        _ref_param("context", "encounter", "Encounter", "The treatment session."),
        _ref_param("request", "request", "MedicationRequest", "The course ordered."),
    ),
    includes=("MedicationAdministration:patient", "MedicationAdministration:subject"),
)


def _session_build(row: Any) -> Json:
    return r.encounter(row)


_ENCOUNTER_STATUS_DB = {}
for _db, _fhir in r._ENCOUNTER_STATUS.items():
    _ENCOUNTER_STATUS_DB.setdefault(_fhir, []).append(_db)

ENCOUNTER = ResourceKind(
    name="Encounter",
    sources=(
        Source(
            name="session",
            # Encounter.period starts at check-in, or at the scheduled time before it.
            queryset=lambda: TreatmentSession.objects.annotate(
                period_start=Coalesce("checked_in_at", "scheduled_at")
            ),
            build=_session_build,
            fields={"patient": "patient_id", "date": "period_start", "updated": "updated_at"},
            status_q=_status_map(_ENCOUNTER_STATUS_DB, "state"),
            order=("scheduled_at", "pk"),
        ),
    ),
    params=(
        _id_param(),
        *_patient_params(),
        _status_param("status", "planned, arrived, in-progress, finished or cancelled."),
        _date_param("date", "When the session started (or is scheduled), with prefixes."),
    ),
    includes=("Encounter:patient", "Encounter:subject"),
)


def _adverse_build(row: Any) -> Json:
    session = row.session
    dose = getattr(session, "dose", None) if hasattr(session, "dose") else None
    session.dose_id_for_fhir = dose.pk if dose is not None else None
    return r.adverse_event(row, session)


ADVERSE_EVENT = ResourceKind(
    name="AdverseEvent",
    sources=(
        Source(
            name="adverse-event",
            queryset=lambda: AdverseEventRecord.objects.select_related("session", "session__dose"),
            build=_adverse_build,
            fields={"patient": "session__patient_id", "date": "onset_at", "updated": "created_at"},
            order=("onset_at", "pk"),
        ),
    ),
    # R4 AdverseEvent has no "patient" search parameter: its compartment parameter is subject.
    params=(
        _id_param(),
        *_patient_params(patient=False),
        _date_param("date", "When the event began, with prefixes."),
    ),
    includes=("AdverseEvent:subject",),
)


def _consent_status(tokens: list[Token]) -> Any:
    wanted = {t.code for t in tokens}
    q = Q(pk__in=[])
    if "active" in wanted:
        q |= Q(withdrawn_at__isnull=True)
    if "inactive" in wanted:
        q |= Q(withdrawn_at__isnull=False)
    return q if wanted & {"active", "inactive"} else NO_MATCH


def _consent_build(row: Any) -> Json:
    return r.consent(row, row.version.document.route, row.version.version_number)


CONSENT = ResourceKind(
    name="Consent",
    sources=(
        Source(
            name="consent",
            queryset=lambda: ConsentSignature.objects.select_related("version__document").defer(
                "signed_text_snapshot"
            ),
            build=_consent_build,
            fields={"patient": "patient_id", "date": "signed_at", "updated": "created_at"},
            status_q=_consent_status,
            order=("signed_at", "pk"),
        ),
    ),
    params=(
        _id_param(),
        _ref_param("patient", "patient", "Patient", "The patient (Patient/<id>)."),
        _status_param("status", "active or inactive (withdrawn)."),
        _date_param("date", "When signed, with prefixes."),
    ),
    includes=("Consent:patient",),
)


def _plan_build(row: Any) -> Json:
    return r.care_plan(row, list(row.components.all()))


CARE_PLAN = ResourceKind(
    name="CarePlan",
    sources=(
        Source(
            name="care-plan",
            queryset=lambda: CarePlan.objects.prefetch_related("components"),
            build=_plan_build,
            fields={"patient": "patient_id", "date": "created_at", "updated": "created_at"},
            status_q=_status_map({"active": ["active"], "revoked": ["superseded"]}, "status"),
        ),
    ),
    params=(
        _id_param(),
        *_patient_params(),
        _status_param("status", "active or revoked (superseded by a newer version)."),
        _date_param("date", "When the plan version was made, with prefixes."),
    ),
    includes=("CarePlan:patient", "CarePlan:subject"),
)

QUESTIONNAIRE_RESPONSE = ResourceKind(
    name="QuestionnaireResponse",
    sources=(
        Source(
            name="assessment",
            queryset=lambda: Assessment.objects.all(),
            build=r.questionnaire_response,
            fields={
                "patient": "patient_id",
                "date": "taken_at",
                "encounter": "session_id",
                "updated": "created_at",
            },
            prefix="assessment",
            order=("taken_at", "pk"),
        ),
    ),
    params=(
        _id_param(),
        *_patient_params(),
        _date_param("authored", "When answered, with prefixes."),
        Param(
            "questionnaire",
            "reference",
            "The scale's Questionnaire (Questionnaire/phq9 or its canonical URL).",
            lambda source, value: _questionnaire_q(value),
        ),
    ),
    includes=("QuestionnaireResponse:patient", "QuestionnaireResponse:subject"),
)


def _questionnaire_q(value: str) -> Any:
    wanted = []
    for part in value.split(","):
        ident = part.strip().rstrip("/").split("/")[-1].split("|")[0]
        for code in SCALES:
            if r.questionnaire_id(code) == ident:
                wanted.append(code)
    return Q(instrument__in=wanted) if wanted else NO_MATCH


# --- Provenance and AuditEvent: the audit trail ------------------------------------------------

# Audit target types whose records are served as FHIR resources: type -> (FHIR type, id fn).
PROVENANCE_TARGETS: dict[str, tuple[str, Callable[[str], str]]] = {
    "patients.Patient": ("Patient", str),
    "patients.Diagnosis": ("Condition", str),
    "patients.Medication": ("MedicationStatement", lambda pk: f"medication-{pk}"),
    "patients.MedicationTrial": ("MedicationStatement", lambda pk: f"trial-{pk}"),
    "patients.WeightMeasurement": ("Observation", lambda pk: f"weight-{pk}"),
    "measures.Assessment": ("Observation", lambda pk: f"assessment-{pk}"),
    "treatment.Course": ("MedicationRequest", str),
    "treatment.TreatmentSession": ("Encounter", str),
    "treatment.DoseAdministration": ("MedicationAdministration", str),
    "treatment.AdverseEventRecord": ("AdverseEvent", str),
    "treatment.VitalsReading": ("Observation", lambda pk: f"bp-{pk}"),
    "treatment.SessionObservation": ("Observation", lambda pk: f"session-scale-{pk}"),
    "consent.ConsentSignature": ("Consent", str),
    "careplans.CarePlan": ("CarePlan", str),
}


def _provenance_build(entry: Any) -> Json:
    fhir_type, to_id = PROVENANCE_TARGETS[entry.target_type]
    return r.provenance(entry, r.ref(fhir_type, to_id(entry.target_id)))


def _provenance_target(source: Source, value: str) -> Any:
    q = Q(pk__in=[])
    for part in value.split(","):
        tail = part.strip().rstrip("/").split("/")
        if len(tail) < 2:
            continue
        fhir_type, fhir_id = tail[-2], tail[-1]
        for target_type, (ftype, to_id) in PROVENANCE_TARGETS.items():
            if ftype != fhir_type:
                continue
            pk = fhir_id.rsplit("-", 1)[-1]
            if is_ascii_digits(pk) and to_id(pk) == fhir_id:
                q |= Q(target_type=target_type, target_id=pk)
    return q


PROVENANCE = ResourceKind(
    name="Provenance",
    sources=(
        Source(
            name="provenance",
            queryset=lambda: AuditEntry.objects.filter(
                action__in=["create", "update", "withdraw", "supersede", "override"],
                target_type__in=list(PROVENANCE_TARGETS),
                patient_id_snapshot__isnull=False,
            ),
            build=_provenance_build,
            fields={
                "patient": "patient_id_snapshot",
                "date": "occurred_at",
                "updated": "occurred_at",
            },
            clinic_field="clinic_id_snapshot",
        ),
    ),
    params=(
        _id_param(),
        _ref_param("patient", "patient", "Patient", "The patient whose record was written."),
        Param(
            "target",
            "reference",
            "The resource written (e.g. Observation/assessment-12).",
            _provenance_target,
        ),
        _date_param("recorded", "When written, with prefixes."),
    ),
)

AUDIT_EVENT = ResourceKind(
    name="AuditEvent",
    sources=(
        Source(
            name="audit",
            queryset=lambda: AuditEntry.objects.all(),
            build=r.audit_event,
            fields={
                "patient": "patient_id_snapshot",
                "date": "occurred_at",
                "updated": "occurred_at",
            },
            clinic_field="clinic_id_snapshot",
            order=("pk",),
        ),
    ),
    params=(
        _id_param(),
        _ref_param("patient", "patient", "Patient", "Entries about this patient's record."),
        _date_param("date", "When the entry was recorded, with prefixes."),
        Param("action", "token", "C, R, U or E.", lambda s, v: _audit_action(v)),
    ),
    admin_only=True,
    compartment=False,
)


def _audit_action(value: str) -> Any:
    letters = {t.code for t in parse_tokens("action", value)}
    actions = [a for a, letter in r._AUDIT_ACTION.items() if letter in letters]
    return Q(action__in=actions) if actions else NO_MATCH


PRACTITIONER = ResourceKind(
    name="Practitioner",
    sources=(
        Source(
            name="practitioner",
            queryset=lambda: User.objects.filter(
                role__in=[Role.PRESCRIBER, Role.NURSE, Role.THERAPIST]
            ),
            build=r.practitioner,
            fields={},
        ),
    ),
    params=(
        _id_param(),
        Param(
            "name",
            "string",
            "Start of the given or family name.",
            _patient_name(("first_name", "last_name")),
        ),
    ),
    clinical=False,
    compartment=False,
)

QUESTIONNAIRE = ResourceKind(
    name="Questionnaire",
    sources=(),  # the scales are data in the core, not rows: served from ``SCALES``
    params=(
        Param(
            "_id",
            "token",
            "The scale (phq9, gad7, madrs, qids-sr16, cssrs-screener).",
            lambda s, v: NO_MATCH,
        ),
        Param("url", "uri", "The Questionnaire's canonical URL.", lambda s, v: NO_MATCH),
    ),
    clinical=False,
    compartment=False,
)

KINDS: dict[str, ResourceKind] = {
    k.name: k
    for k in (
        PATIENT,
        PRACTITIONER,
        CONDITION,
        OBSERVATION,
        QUESTIONNAIRE,
        QUESTIONNAIRE_RESPONSE,
        MEDICATION_REQUEST,
        MEDICATION_ADMINISTRATION,
        MEDICATION_STATEMENT,
        ADVERSE_EVENT,
        CONSENT,
        CARE_PLAN,
        ENCOUNTER,
        PROVENANCE,
        AUDIT_EVENT,
    )
}
COMMON_PARAMS = ("_count", "_include", "_offset", "_lastUpdated")


# --- access -------------------------------------------------------------------------------------


def kind_for(resource_type: str) -> ResourceKind:
    kind = KINDS.get(resource_type)
    if kind is None:
        raise FhirError(
            404, "not-supported", f"Resource type {resource_type!r} is not served here."
        )
    return kind


def _require_role(principal: FhirPrincipal, kind: ResourceKind) -> None:
    user = principal.user
    if kind.admin_only:
        require_permission(user, Permission.VIEW_AUDIT)
        if user.role != Role.CLINIC_ADMIN:
            raise PermissionDenied("Only clinic administrators read the audit trail.")
    elif kind.clinical and user.role != Role.PATIENT:
        require_permission(user, CLINICAL_READ)


def access_patient_for(principal: FhirPrincipal, patient_id: int, purpose: str) -> Patient:
    """The patient, through the app's access function (permission, clinic, audited read)."""
    if principal.patient_id is not None and patient_id != principal.patient_id:
        raise NotFound("patient")
    user = principal.user
    if user.role == Role.PATIENT:
        patient = access_own_patient(user)
        if patient.pk != patient_id:
            raise NotFound("patient")
        return patient
    return access_patient(user, patient_id, purpose=purpose)


def _scoped(principal: FhirPrincipal, source: Source, qs: QuerySet) -> QuerySet:
    qs = qs.filter(**{source.clinic_field: principal.user.clinic_id})
    if principal.patient_id is not None:
        path = source.fields.get("patient")
        if path is None:
            return qs.none()
        qs = qs.filter(**{path: principal.patient_id})
    return qs


def read(principal: FhirPrincipal, resource_type: str, fhir_id: str) -> Json:
    kind = kind_for(resource_type)
    require_scope(principal, resource_type, "r")
    _require_role(principal, kind)
    if kind is QUESTIONNAIRE:
        return _questionnaire_read(fhir_id)
    for source in kind.sources:
        pk = source.pk_from(fhir_id)
        if pk is None:
            continue
        row = _scoped(principal, source, source.queryset()).filter(pk=pk).first()
        if row is None:
            continue
        patient_id = _row_patient(source, row)
        purpose = f"FHIR read {resource_type}/{fhir_id}"
        if patient_id is not None and kind.compartment:
            access_patient_for(principal, patient_id, purpose)
        else:
            record_read(actor=principal.user, target=row, patient_id=patient_id, summary=purpose)
        return source.build(row)
    raise not_found(resource_type)


def _row_patient(source: Source, row: Any) -> int | None:
    path = source.fields.get("patient")
    if path is None:
        return None
    if path == "pk":
        return row.pk
    if path == "patient_id":
        return row.patient_id
    if path == "patient_id_snapshot":
        return row.patient_id_snapshot
    if path == "session__patient_id":
        return row.session.patient_id
    raise AssertionError(path)


def _questionnaire_read(fhir_id: str) -> Json:
    for code, instrument in SCALES.items():
        if instrument.kind is ScaleKind.MEASUREMENT and r.questionnaire_id(code) == fhir_id:
            return r.questionnaire(instrument)
    raise not_found("Questionnaire")


def questionnaires() -> list[Json]:
    return [r.questionnaire(i) for i in SCALES.values() if i.kind is ScaleKind.MEASUREMENT]


# --- search -------------------------------------------------------------------------------------


@dataclass
class SearchResult:
    total: int
    resources: list[Json]
    included: list[Json] = field(default_factory=list)
    used: list[tuple[str, str]] = field(default_factory=list)  # the parameters applied


def search(
    principal: FhirPrincipal,
    resource_type: str,
    params: list[tuple[str, str]],
    *,
    count: int,
    offset: int,
    includes: list[str],
    strict: bool = False,
) -> SearchResult:
    kind = kind_for(resource_type)
    require_scope(principal, resource_type, "s")
    _require_role(principal, kind)
    if kind is QUESTIONNAIRE:
        return _questionnaire_search(params, count, offset)
    used: list[tuple[str, str]] = []
    filters: list[tuple[Param, str]] = []
    for name, value in params:
        base, _, modifier = name.partition(":")
        param = kind.param(base)
        if param is None or modifier:
            if strict:
                raise FhirError(
                    400, "not-supported", f"Search parameter {name!r} is not supported here."
                )
            continue  # lenient handling (FHIR R4 §3.1.1.5): unknown parameters are ignored
        filters.append((param, value))
        used.append((name, value))
    for inc in includes:
        if inc not in kind.includes:
            raise FhirError(400, "not-supported", f"_include={inc} is not supported here.")

    patient_ids = _patient_filter(filters)
    if patient_ids is not None and kind.compartment:
        for pid in patient_ids:
            try:
                access_patient_for(principal, pid, f"FHIR search {resource_type}")
            except NotFound:
                patient_ids = [p for p in patient_ids if p != pid]
        if not patient_ids:
            return SearchResult(0, [], used=used)
    else:
        record_read(
            actor=principal.user,
            target=(f"fhir.{resource_type}", "search"),
            patient_id=principal.patient_id,
            summary=f"FHIR search {resource_type}",
        )

    querysets = []
    for source in kind.sources:
        qs = _scoped(principal, source, source.queryset())
        skip = False
        for param, value in filters:
            q = param.apply(source, value)
            if q is NO_MATCH:
                skip = True
                break
            qs = qs.filter(q)
        if skip:
            continue
        if patient_ids is not None and "patient" in source.fields:
            qs = qs.filter(**{f"{source.fields['patient']}__in": patient_ids})
        querysets.append((source, qs.order_by(*source.order)))

    counts = [qs.count() for _, qs in querysets]
    total = sum(counts)
    resources: list[Json] = []
    skip_n, want = offset, count
    for (source, qs), n in zip(querysets, counts, strict=True):
        if want <= 0:
            break
        if skip_n >= n:
            skip_n -= n
            continue
        rows = list(qs[skip_n : skip_n + want])
        skip_n = 0
        want -= len(rows)
        resources.extend(source.build(row) for row in rows)
    result = SearchResult(total, resources, used=used)
    if includes and resources:
        result.included = _include_patients(principal, resources)
    return result


def _patient_filter(filters: list[tuple[Param, str]]) -> list[int] | None:
    ids: list[int] | None = None
    for param, value in filters:
        if param.name in ("patient", "subject"):
            these = parse_reference(param.name, value, "Patient")
            ids = these if ids is None else [i for i in ids if i in these]
    return ids


def _include_patients(principal: FhirPrincipal, resources: list[Json]) -> list[Json]:
    wanted: list[int] = []
    for res in resources:
        refd = res.get("subject") or res.get("patient") or {}
        ref_text = refd.get("reference", "") if isinstance(refd, dict) else ""
        if ref_text.startswith("Patient/"):
            pid = int(ref_text.split("/", 1)[1])
            if pid not in wanted:
                wanted.append(pid)
    qs = _scoped(principal, PATIENT_SOURCE, Patient.objects.filter(pk__in=wanted))
    return [r.patient(p) for p in qs.order_by("pk")]


def _questionnaire_search(params: list[tuple[str, str]], count: int, offset: int) -> SearchResult:
    items = questionnaires()
    used = []
    for name, value in params:
        if name == "_id":
            wanted = {v.strip() for v in value.split(",")}
            items = [q for q in items if q["id"] in wanted]
            used.append((name, value))
        elif name == "url":
            wanted = {v.strip().split("|")[0] for v in value.split(",")}
            items = [q for q in items if q["url"] in wanted]
            used.append((name, value))
    return SearchResult(len(items), items[offset : offset + count], used=used)


# --- everything of one type, for Bulk export ---------------------------------------------------


def _bulk_groups(
    kind: ResourceKind,
    clinic_id: int,
    since: Any,
    until: Any,
    patient_ids: list[int] | None,
) -> Iterator[tuple[list[Source], QuerySet]]:
    """Each group of ``kind``'s sources (those sharing rows together) and its clinic's rows
    (``updated`` after ``since``, up to ``until``), in primary-key order."""
    groups: list[list[Source]] = []
    for source in kind.sources:
        if groups and source.shared and groups[-1][0].shared == source.shared:
            groups[-1].append(source)  # same rows: one pass builds them all
        else:
            groups.append([source])
    for group in groups:
        source = group[0]
        qs = source.queryset().filter(**{source.clinic_field: clinic_id})
        updated = source.fields.get("updated")
        if since is not None and updated:
            qs = qs.filter(**{f"{updated}__gt": since})
        if until is not None and updated:
            qs = qs.filter(**{f"{updated}__lte": until})
        if patient_ids is not None:
            path = source.fields.get("patient")
            if path is None:
                continue
            qs = qs.filter(**{f"{path}__in": patient_ids})
        yield group, qs.order_by("pk")


def iter_resources(
    kind: ResourceKind,
    clinic_id: int,
    *,
    since: Any = None,
    until: Any = None,
    patient_ids: list[int] | None = None,
    chunk_size: int = 2000,
) -> Iterator[Json]:
    """Every resource of ``kind`` in a clinic (``updated`` after ``since``, up to ``until``),
    built by the read API's builders, streamed in chunks: never the whole table in memory.
    Bulk export's reference (``iter_ndjson``)."""
    if kind is QUESTIONNAIRE:
        if since is None:
            yield from questionnaires()
        return
    for group, qs in _bulk_groups(kind, clinic_id, since, until, patient_ids):
        # iterator(chunk_size): rows (and any prefetch) in bounded chunks, never the table.
        for row in qs.iterator(chunk_size=chunk_size):
            for member in group:
                yield member.build(row)


def iter_ndjson(
    kind: ResourceKind,
    clinic_id: int,
    *,
    since: Any = None,
    until: Any = None,
    chunk_size: int = 2000,
) -> Iterator[tuple[str, str | None]]:
    """Bulk export's lines: what ``iter_resources`` yields, in the same order, as compact
    JSON text, each with the id of the patient it is about (or None). Groups with a
    ``bulk_rows`` fast path are built from value rows by it; the others are encoded from the
    builders' dicts."""
    if kind is QUESTIONNAIRE:
        for resource in iter_resources(kind, clinic_id, since=since, until=until):
            yield encode(resource), None
        return
    for group, qs in _bulk_groups(kind, clinic_id, since, until, None):
        fast = FAST_PATHS.get((kind.name, group[0].shared or group[0].name))
        if fast is not None:
            for values in qs.values_list(*fast.fields).iterator(chunk_size=chunk_size):
                patient = str(values[fast.patient])
                for line in fast.build(values):
                    yield line, patient
            continue
        for row in qs.iterator(chunk_size=chunk_size):
            for member in group:
                resource = member.build(row)
                yield encode(resource), patient_of(resource)
