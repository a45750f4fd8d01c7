"""Sources for the dosing-session rules (pre-dose checks, monitoring, discharge, REMS form).

Source keys follow the project's clinical reference (S1, S2, ...). ``verified=False`` marks
facts read only in a secondary copy of the label ([V*]); such facts are defaults or
"needs a prescriber decision" checks, never non-overridable hard rules.
"""

from __future__ import annotations

from ketacare.clinical.sources import Grade, Source

SPRAVATO_LABEL_2019 = Source(
    key="S1",
    citation="Janssen. SPRAVATO (esketamine) nasal spray, US Prescribing Information, 2019.",
    url="http://www.janssenlabels.com/package-insert/product-monograph/prescribing-information/SPRAVATO-pi.pdf",
    locator="Sections 2 and 5.1-5.2 (monitor at least 2 hours; sedation, dissociation; driving)",
    grade=Grade.PRIMARY,
    mandatory=True,
)

SPRAVATO_LABEL_BP_SUMMARY = Source(
    key="S2",
    citation=(
        "MPR/Haymarket SPRAVATO label summary; label section 2 quoted by droracle.ai (S2c): "
        "assess BP prior to dosing, consider delaying therapy if >140/90 mmHg."
    ),
    url="https://www.oncologynurseadvisor.com/drug/spravato/",
    locator="Dosage and administration: blood pressure assessment before dosing",
    verified=False,  # [V*]: secondary copy of the label; re-check against current PI
    grade=Grade.SECONDARY,
)

SPRAVATO_HCP_DOSING = Source(
    key="S3",
    citation="Janssen. SPRAVATO HCP site, Dosing and administration (TRD, MDSI).",
    url="https://www.spravatohcp.com/dosing-and-administration",
    locator=(
        "5 minutes between devices; BP prior to and 40 minutes after administration; "
        "pulse oximetry at each treatment session"
    ),
    grade=Grade.PRIMARY,
    mandatory=True,
)

SPRAVATO_REMS = Source(
    key="S4",
    citation="FDA. Approved REMS: SPRAVATO (NDA 211243), REMS last update 12/31/2024.",
    url="https://www.accessdata.fda.gov/scripts/cder/rems/index.cfm?event=IndvRemsDetails.page&REMS=386",
    locator=(
        "Outpatient setting requirements: prescriber onsite, pulse oximeter onsite, enroll "
        "patients; monitor at least two hours until resolution of sedation, dissociation and "
        "respiratory depression"
    ),
    grade=Grade.PRIMARY,
    mandatory=True,
)

SPRAVATO_REMS_MONITORING_FORM = Source(
    key="S5",
    citation="SPRAVATO REMS Patient Monitoring Form (11/2021) and manufacturer walkthrough.",
    url="https://manualspro.net/445029-spravato-patient-monitoring-form-instructions",
    locator="Form fields: dose 56/84/other, treatment duration, BP pre/40 min/before completion",
    grade=Grade.PRIMARY,
    mandatory=True,
)

SPRAVATO_REMS_SETTINGS = Source(
    key="S6",
    citation=(
        "SPRAVATO REMS site: outpatient settings enroll patients and submit monitoring forms; "
        "inpatient settings are certified but do not enroll patients."
    ),
    url="https://www.spravatorems.com/outpatient-hcs.html",
    locator="Outpatient and inpatient healthcare setting requirements",
    grade=Grade.PRIMARY,
    mandatory=True,
)

SPRAVATO_REMS_OUTPATIENT_ENROLLMENT = Source(
    key="S6b",
    citation="SPRAVATO REMS Outpatient Healthcare Setting Enrollment Form (08/2020).",
    url="https://manuzoid.com/manuals/DG5YY-Spravato%20Outpatient%20Healthcare%20Setting%20Enrollment%20Form%20User%20guide",
    locator=(
        "Authorized representative agreement: submit a monitoring form within 7 days of every dose"
    ),
    grade=Grade.PRIMARY,
    mandatory=True,
)

SPRAVATO_SEDATION_MOAAS = Source(
    key="S9b",
    citation=(
        "SPRAVATO brief summary of PI (US Medicine 2021); J&J Medical Information, Sedation "
        "and somnolence (05/2025, S8)."
    ),
    url="https://www.usmedicine.com/2021online-dir/inc/html/35.html",
    locator=(
        "Any decrease in MOAA/S from pre-dose indicates sedation; loss of consciousness = MOAA/S 0"
    ),
    grade=Grade.PRIMARY,
)

MOAAS_SCALE = Source(
    key="S38",
    citation="Modified Observer's Assessment of Alertness/Sedation (MOAA/S), 0-5 scale.",
    url="https://bmcanesthesiol.biomedcentral.com/articles/10.1186/s12871-022-01788-1/tables/2",
    locator="Table 2: 5 = responds readily to name ... 0 = no response to trapezius squeeze",
    grade=Grade.PRIMARY,
)

CADSS = Source(
    key="S37",
    citation=(
        "Bremner JD et al. Clinician-Administered Dissociative States Scale (CADSS). "
        "J Trauma Stress 1998."
    ),
    url="https://pubcompare.ai/protocol/aOw9sYsBwGXEOgesDu2Y",
    locator="Item and total ranges NOT verified ([M]); no resolution cutoff published",
    verified=False,
    grade=Grade.SECONDARY,
)

SPRAVATO_PATIENT_FASTING = Source(
    key="S58",
    citation="Janssen. spravato.com, Treatment with SPRAVATO (patient page).",
    url="https://www.spravato.com/treatment-with-SPRAVATO",
    locator=(
        'Treatment days: "avoid eating two hours before and drinking liquids 30 minutes '
        'before" (nausea, vomiting); the label advises the same (guidance, not a must)'
    ),
    verified=False,  # [V*]: patient page, not the PI text
    grade=Grade.SECONDARY,
)

EMORY_IV_BP_SCHEDULE = Source(
    key="S25",
    citation=(
        "Dunlop BW et al. Blood pressure safety of subanesthetic ketamine for depression: "
        "684 infusions. J Affect Disord (summary)."
    ),
    url="https://moreblossom.com/papers/blood-pressure-safety-of-subanesthetic-ketamine-for-depression-a-report-on-684-i",
    locator="BP every 10 min during the 40-min infusion and every 15 min thereafter",
    verified=False,  # [V*]: an example academic protocol, not a guideline
    grade=Grade.SECONDARY,
)

SUICIDE_RISK_SAFETY_ASSESSMENT = Source(
    key="S40a",
    citation=(
        "Columbia Protocol (C-SSRS) triage guidance; PHQ-9 item 9 follow-up (S33c). "
        "KetaCare rules 22-23."
    ),
    url="https://cssrs.columbia.edu/the-columbia-scale-c-ssrs/triage-c-ssrs/",
    locator="Yes to Q4/Q5 (past month) or behavior within 3 months: safety precautions",
    grade=Grade.PRIMARY,
    mandatory=True,
)

CTCAE_V5 = Source(
    key="ctcae5",
    citation=(
        "US DHHS, NIH, NCI. Common Terminology Criteria for Adverse Events (CTCAE) v5.0, "
        "November 2017."
    ),
    url="https://biodatamining.biomedcentral.com/articles/10.1186/s13040-015-0044-6/tables/2",
    locator=(
        "General grade definitions: 1 mild, 2 moderate, 3 severe, 4 life-threatening, "
        "5 death related to AE"
    ),
    grade=Grade.PRIMARY,
)

KETACARE_CLINIC_SETTING = Source(
    key="clinic_setting",
    citation="Clinic protocol setting (no published value found; set by the clinic's prescriber).",
    verified=False,
    grade=Grade.CLINIC,
)
