"""Code systems and codes used in KetaCare's FHIR R4 resources.

Sources: clinical-reference §6 (LOINC PHQ-9 S51a-d, GAD-7 S52a-c [V]/[V*]; SNOMED 370143000
[V*] S53a; UCUM S55). Blood-pressure LOINC 85354-9 / 8480-6 / 8462-4 were seen in several
public FHIR codebases ([V*]). MADRS, QIDS-SR16 and C-SSRS have no verified LOINC code: they use
the local code system until one is verified. Local codes are stable once published.
"""

from __future__ import annotations

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
LOCAL = "https://fhir.ketacare.example/CodeSystem/ketacare"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

PHQ9_PANEL = "44249-1"
PHQ9_TOTAL = "44261-6"
PHQ9_ITEMS = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)
PHQ9_ITEM9 = PHQ9_ITEMS[8]
GAD7_PANEL = "69737-5"
GAD7_TOTAL = "70274-6"
GAD7_ITEMS = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
BP_PANEL = "85354-9"
BP_SYSTOLIC = "8480-6"
BP_DIASTOLIC = "8462-4"
SNOMED_MDD = "370143000"
# ICD-10-CM F32.3: MDD, single episode, severe with psychotic features ([V], S54).
ICD10_PSYCHOTIC_DEPRESSION = ("F32.3",)

# Local codes (Observation.code / Condition.code in the LOCAL system).
MADRS_TOTAL = "madrs-total"
QIDS_SR16_TOTAL = "qids-sr16-total"
CSSRS_RISK = "cssrs-screener-risk"
EVALUATION_ANSWERED = "evaluation-answered"  # components: which facts were asked and answered
ELIGIBILITY_CAUTION = "eligibility-caution"
MAUDSLEY_BAND = "maudsley-band"
PRIOR_TREATMENT = "prior-treatment-outcome"
PREFERENCES = "treatment-preferences"
TREATMENT_OPTION = "treatment-option"
CURRENT_PSYCHOSIS = "current-psychosis"
PREGNANCY = "pregnancy"
UNCONTROLLED_HYPERTENSION = "uncontrolled-hypertension"
SUD_ACTIVE = "substance-use-disorder-active"
SUD_IN_REMISSION = "substance-use-disorder-in-remission"
CONTRAINDICATION_PREFIX = "contraindication-"
TRIAL_FAILED_PREFIX = "adequate-trial-"  # + no_response / partial_response (statusReason)

# --- FHIR server (issue 12.2) --------------------------------------------------------------------

LOCAL_BASE = "https://fhir.ketacare.example"  # reserved .example domain: replace in production
MRN_SYSTEM_PREFIX = f"{LOCAL_BASE}/identifier/mrn/clinic-"  # + clinic id: MRNs are per clinic
RECORDED_SEX_EXTENSION = f"{LOCAL_BASE}/StructureDefinition/recorded-sex"
QUESTIONNAIRE_BASE = f"{LOCAL_BASE}/Questionnaire/"
V3_ADMIN_GENDER = "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_CATEGORY = "http://loinc.org"  # 59284-0 Consent Document (R4 consent-category example)
PROVENANCE_ACTIVITY = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PROVENANCE_AGENT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
AUDIT_EVENT_SUBTYPE = "http://hl7.org/fhir/restful-interaction"
AUDIT_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

# Vital signs (FHIR R4 vital signs profiles and US Core; UCUM units clinical-reference §6.5).
HEART_RATE = "8867-4"
RESPIRATORY_RATE = "9279-1"
SPO2 = "59408-5"  # Oxygen saturation in Arterial blood by Pulse oximetry
SPO2_ARTERIAL = "2708-6"  # Oxygen saturation in Arterial blood (the R4 oxygensat profile's code)
BODY_WEIGHT = "29463-7"
CONSENT_DOCUMENT = "59284-0"

# Medicines (clinical-reference §6.2: ketamine ingredient RxCUI 6130 [M]; esketamine nasal spray
# SCDF RxCUI 2201623 (NLM RxNorm via an NDC reference site); cds verifies terminology and its
# value sets supersede these where they differ).
RXNORM_KETAMINE = "6130"
RXNORM_ESKETAMINE_NASAL_SPRAY = "2201623"
# SNOMED CT route of administration concepts (the R4 route-codes example value set).
SNOMED_ROUTE = {
    "iv": ("47625008", "Intravenous route"),
    "im": ("78421000", "Intramuscular route"),
    "sc": ("34206005", "Subcutaneous route"),
    "intranasal": ("46713006", "Nasal route"),
    "oral": ("26643006", "Oral route"),
}

# Profiles claimed in meta.profile, only where the resource conforms (tests check the
# must-have elements of each).
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
PROFILE_PATIENT = US_CORE + "us-core-patient"
VITAL_PROFILES = {
    BP_PANEL: ("http://hl7.org/fhir/StructureDefinition/bp", US_CORE + "us-core-blood-pressure"),
    HEART_RATE: (
        "http://hl7.org/fhir/StructureDefinition/heartrate",
        US_CORE + "us-core-heart-rate",
    ),
    RESPIRATORY_RATE: (
        "http://hl7.org/fhir/StructureDefinition/resprate",
        US_CORE + "us-core-respiratory-rate",
    ),
    SPO2: ("http://hl7.org/fhir/StructureDefinition/oxygensat", US_CORE + "us-core-pulse-oximetry"),
    BODY_WEIGHT: (
        "http://hl7.org/fhir/StructureDefinition/bodyweight",
        US_CORE + "us-core-body-weight",
    ),
}

# Scale totals and items by instrument code (LOINC where verified, local otherwise).
SCALE_TOTAL_CODES: dict[str, tuple[str, str, str]] = {
    "phq9": (LOINC, PHQ9_TOTAL, "PHQ-9 total score [Reported]"),
    "gad7": (LOINC, GAD7_TOTAL, "GAD-7 total score [Reported.PHQ]"),
    "madrs": (LOCAL, MADRS_TOTAL, "MADRS total score"),
    "qids_sr16": (LOCAL, QIDS_SR16_TOTAL, "QIDS-SR16 total score"),
    "cssrs_screener": (LOCAL, CSSRS_RISK, "C-SSRS screener risk level"),
}
SCALE_PANEL_CODES: dict[str, tuple[str, str, str]] = {
    "phq9": (LOINC, PHQ9_PANEL, "PHQ-9 quick depression assessment panel"),
    "gad7": (LOINC, GAD7_PANEL, "Generalized anxiety disorder 7 item (GAD-7)"),
}
SCALE_ITEM_CODES: dict[str, tuple[str, ...]] = {"phq9": PHQ9_ITEMS, "gad7": GAD7_ITEMS}
SESSION_SCALE_CODES = {"moaas": "moaas-score", "cadss": "cadss-total"}
