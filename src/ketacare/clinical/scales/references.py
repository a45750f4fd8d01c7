"""Published sources for the rating scales.

Source ids ``S…`` refer to the project's checked clinical reference
(/work/shared/clinical-reference.md, §3.4 and §4). ``verified=False`` marks a fact read only in
a secondary copy ([V*]) or held from memory ([M]); such facts never become hard rules.
"""

from __future__ import annotations

from ketacare.clinical.sources import Grade, Source

KROENKE_2001 = Source(
    key="S33",
    citation=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression "
        "severity measure. J Gen Intern Med 2001;16:606-613"
    ),
    url="http://www.ementalhealth.ca/index.php?m=printSurveyScoring&hideFormatting=1&ID=42",
    locator="PHQ-9 scoring key: 9 items scored 0-3; severity cut-points 5, 10, 15, 20",
    grade=Grade.PRIMARY,
)

PHQ_RESPONSE_OPTIONS = Source(
    key="S51c",
    citation="HL7 US Core, QuestionnaireResponse PHQ-9 example (LOINC answers LA6568-5..LA6571-9)",
    url="https://www.hl7.org/fhir/us/core/QuestionnaireResponse-phq-9-example.html",
    locator="answer list: Not at all / Several days / More than half the days / Nearly every day",
    grade=Grade.PRIMARY,
)

PHQ9_ITEM9_GUIDANCE = Source(
    key="S33c",
    citation=(
        "PHQ-9 calculator guidance: item 9 above 0 is clinically significant regardless of the "
        "total and warrants immediate follow-up (secondary summary of Kroenke 2001)"
    ),
    url="https://www.calcipedia.org/calculators/phq-9-calculator",
    locator="item 9 interpretation",
    verified=False,  # [V*]: secondary; used for a review flag, never to block
    grade=Grade.SECONDARY,
)

SPITZER_2006 = Source(
    key="S38a",
    citation=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized "
        "anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097"
    ),
    url="https://scales.arabpsychology.com/index.php/s/gad-7-anxiety-severity/",
    locator="7 items scored 0-3; cut-points 5, 10, 15 (mild, moderate, severe)",
    grade=Grade.SECONDARY,
)

MONTGOMERY_ASBERG_1979 = Source(
    key="S36",
    citation=(
        "Montgomery SA, Åsberg M. A new depression scale designed to be sensitive to change. "
        "Br J Psychiatry 1979;134:382-389"
    ),
    url="https://en.wikipedia.org/wiki/Montgomery%E2%80%93%C3%85sberg_Depression_Rating_Scale",
    locator="10 clinician-rated items, each 0-6, total 0-60; item domains",
    grade=Grade.SECONDARY,
)

SNAITH_1986 = Source(
    key="S36",
    citation=(
        "Snaith RP, Harrop FM, Newby DA, Teale C. Grade scores of the Montgomery-Åsberg "
        "Depression and the Clinical Anxiety Scales. Br J Psychiatry 1986;148:599-601"
    ),
    url="https://th4.ilovetranslation.com/J7JCavJZW9A=d",
    locator="cut-points: 0-6 absent, 7-19 mild, 20-34 moderate, 35-60 severe",
    grade=Grade.SECONDARY,
)

RUSH_2003_QIDS = Source(
    key="S37a",
    citation=(
        "Rush AJ et al. 2003, the 16-item Quick Inventory of Depressive Symptomatology, "
        "self-report (QIDS-SR16): items and scoring rule"
    ),
    url="https://www.guidelinecentral.com/calculators/2c9e8038734e3c9e017353447e5a007e/",
    locator=(
        "16 items 0-3, 9 domains; total = max(1-4) + 5 + max(6-9) + 10 + 11 + 12 + 13 + 14 "
        "+ max(15-16), 0-27 (also S37b)"
    ),
    grade=Grade.SECONDARY,
)

QIDS_SEVERITY_TABLE = Source(
    key="S37c",
    citation="IDS/QIDS interpretation and conversion table (Rush 2003; Trivedi 2004), ids-qids.org",
    url="http://ids-qids.org/interpretation.html",
    locator=(
        "QIDS-SR16 severity: 0-5 none, 6-10 mild, 11-15 moderate, 16-20 severe, 21-27 very severe"
    ),
    grade=Grade.PRIMARY,
)

QIDS_ITEM12_GUIDANCE = Source(
    key="S40a",
    citation=(
        "KetaCare rule 22 (clinical reference): QIDS-SR16 item 12 (suicidal ideation) at 1 or "
        "more prompts same-day clinician review and a C-SSRS screen, as for PHQ-9 item 9"
    ),
    url="https://cssrs.columbia.edu/the-columbia-scale-c-ssrs/triage-c-ssrs/",
    locator="clinical reference, 'Rules a program can enforce', rule 22",
    verified=False,  # a local safety convention built on S33c/S40a, not a published QIDS cut-point
    grade=Grade.HEURISTIC,
)

CSSRS_SCREENER = Source(
    key="S40b",
    citation=(
        "Columbia-Suicide Severity Rating Scale (C-SSRS) screen version: questions 1-6, skip "
        "rule (question 2 No -> question 6), past-month ideation, behaviour recency"
    ),
    url="https://docest.com/doc/462656/columbia-suicide-severity-rating-scale-c-ssrs",
    locator="screener questions 1-6 and skip instruction (also S40c)",
    grade=Grade.PRIMARY,
)

COLUMBIA_TRIAGE = Source(
    key="S40d",
    citation=(
        "Columbia Lighthouse Project. Clinical triage guidelines using the C-SSRS: yes to "
        "question 4 or 5 in the past month, or any suicidal behaviour in the past 3 months, "
        "requires safety precautions until evaluated"
    ),
    url="https://docsbay.net/doc/914678/c-ssrs-triage-guidelines",
    locator="triage guidelines, severity of ideation and suicidal behaviour subscales (also S40a)",
    grade=Grade.PRIMARY,
    mandatory=True,
)

CSSRS_SECONDARY_BANDS = Source(
    key="cssrs-screener-triage-colours",
    citation=(
        "C-SSRS Screener with triage colours (Columbia Lighthouse Project, 2021; the form "
        "itself not retrieved): Columbia says the screener 'score' is low, moderate or high "
        "risk by which answers are yes, colour coded; two independent descriptions of that "
        "form (Rula therapist guide; Blueprint assessment library) give question 1-2 = low, "
        "question 3 or lifetime behaviour (question 6, not in the past 3 months) = moderate, "
        "question 4/5 or behaviour in the past 3 months = high"
    ),
    url="https://therapistsupport.rula.com/hc/en-us/articles/23773353741339-Interpreting-C-SSRS-Scores",
    locator=(
        "Interpreting scores; also cssrs.columbia.edu announcement 'Triage document available "
        "with easy to understand levels of risk' and NINDS CDE C-SSRS Screener entry "
        "(re-checked 2026-12-03)"
    ),
    verified=False,  # [V*]: the colour-coded form was not read, only two descriptions of it
    grade=Grade.SECONDARY,
)

MOAAS_LEVELS = Source(
    key="S38",
    citation=(
        "Modified Observer's Assessment of Alertness/Sedation (MOAA/S) scale, as tabulated in "
        "BMC Anesthesiology 2022 (doi 10.1186/s12871-022-01788-1)"
    ),
    url="https://bmcanesthesiol.biomedcentral.com/articles/10.1186/s12871-022-01788-1/tables/2",
    locator="Table 2: levels 5 (responds readily to name) to 0 (no response to trapezius squeeze)",
    grade=Grade.PRIMARY,
)

SPRAVATO_LABEL_SEDATION = Source(
    key="S9b",
    citation=(
        "SPRAVATO (esketamine) US prescribing information, warnings: sedation measured with "
        "MOAA/S; any decrease from pre-dose indicates sedation; loss of consciousness = MOAA/S 0"
    ),
    url="https://www.usmedicine.com/2021online-dir/inc/html/35.html",
    locator="Warnings and precautions, sedation (also S8, S1)",
    grade=Grade.PRIMARY,
)

MOAAS_SEDATION_GRADING = Source(
    key="S8",
    citation=(
        "J&J Medical Information, SPRAVATO: sedation and somnolence (updated 06/2024): in the "
        "phase 3 programme mild sedation corresponded with MOAA/S 4; moderate or greater "
        "sedation was defined as MOAA/S <=3"
    ),
    url="https://jnjmedicalconnect.com/products/spravato/medical-content/adverse-event-of-spravato-sedation-and-somnolence",
    locator="MOAA/S paragraph (re-checked 2026-12-03)",
    grade=Grade.SECONDARY,  # the manufacturer's summary of its trials, not the label text
)

BREMNER_1998_CADSS = Source(
    key="rodrigues2021cadss6",
    citation=(
        "Rodrigues NB et al. A simplified 6-item Clinician Administered Dissociative Symptom "
        "Scale (CADSS-6) for monitoring dissociative effects of sub-anesthetic ketamine "
        "infusions. J Affect Disord 2021: dissociation with IV ketamine is 'often measured "
        "using the 23-item CADSS'. The 23-item form is the ketamine/esketamine-study version; "
        "Bremner et al. (J Trauma Stress 1998) developed the original, whose administration "
        "instructions (Bremner, Emory 2014, read in a copy) describe 'a 28-item scale' of "
        "subjective and observer items"
    ),
    url="https://research.regionh.dk/da/publications/a-simplified-6-item-clinician-administered-dissociative-symptom-s",
    locator=(
        "Abstract, Background (re-checked 2026-12-03; the 23-item psychometrics in PTSD, "
        "Bremner, Williamson, Vaccarino, J Affect Disord 2024, abstract, agree)"
    ),
    grade=Grade.PRIMARY,
)

CADSS_ITEM_RANGE = Source(
    key="CADSS-range-unverified",
    citation=(
        "CADSS 23 items each scored 0 (normal) to 4 (severe), total 0-92: memory-only in the "
        "clinical reference; seen in a secondary copy of trial registration NCT04226963 "
        "outcome description, not in Bremner's instrument text"
    ),
    url="https://inclinicaltrials.com/major-depressive-disorder/NCT04226963/details",
    locator="outcome measures, CADSS description",
    verified=False,  # [M] in the reference; secondary only after search. Policy default.
    grade=Grade.SECONDARY,
)

CSSRS_REMOTE_BEHAVIOUR_CHOICE = Source(
    key="cssrs-screener-triage-colours",
    citation=(
        "C-SSRS Screener with triage colours, as described by the Rula therapist guide and "
        "the Blueprint assessment library: lifetime suicidal behaviour not in the past 3 "
        "months (question 6 yes, recency no) = moderate risk (clinic-configurable default)"
    ),
    url="https://therapistsupport.rula.com/hc/en-us/articles/23773353741339-Interpreting-C-SSRS-Scores",
    locator="Interpreting scores: 'A Yes on question 3 or 6a = Moderate Risk' (re-checked)",
    verified=False,  # [V*]: the colour-coded Columbia form itself was not retrieved
    grade=Grade.SECONDARY,
)
