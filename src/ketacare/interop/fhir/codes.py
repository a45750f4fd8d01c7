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
