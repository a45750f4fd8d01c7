"""Published sources behind the eligibility, treatment-resistance and screening rules.

Keys ``S…`` are the source ids of the project's checked clinical reference
(/work/shared/clinical-reference.md). ``verified=False`` marks a fact that was read only in a
secondary copy ([V*]) or is from memory ([M]); such facts never drive a hard rule here: they
raise cautions for prescriber acknowledgment or feed informative staging only.
"""

from __future__ import annotations

from ketacare.clinical.sources import Grade, Source

SPRAVATO_LABEL_SUMMARY = Source(
    key="S2",
    citation=(
        "SPRAVATO (esketamine) nasal spray, US Prescribing Information, Janssen; "
        "MPR/Haymarket label summary"
    ),
    url="https://www.oncologynurseadvisor.com/drug/spravato/",
    locator="Contraindications; Warnings and Precautions",
    grade=Grade.SECONDARY,
)

SPRAVATO_BRIEF_SUMMARY = Source(
    key="S9",
    citation="SPRAVATO brief summary of Prescribing Information (US Medicine, 2021)",
    url="https://www.usmedicine.com/2021online-dir/inc/html/30.html",
    locator="Contraindications; Pediatric use ('Not approved in patients <18 years')",
    grade=Grade.PRIMARY,
    mandatory=True,
)

SPRAVATO_LABEL_2019 = Source(
    key="S1",
    citation="SPRAVATO US Prescribing Information (Janssen, 2019), copy of the label text",
    url=(
        "http://www.janssenlabels.com/package-insert/product-monograph/"
        "prescribing-information/SPRAVATO-pi.pdf"
    ),
    locator="5.2 Dissociation (psychosis); 5.4 Abuse and misuse (substance use disorder)",
    grade=Grade.PRIMARY,
    mandatory=True,
)

# [V*]: hepatic impairment, pregnancy/breastfeeding, BP >140/90, hypertensive encephalopathy
# and interacting medicines were read in label summaries, not in the primary label text.
SPRAVATO_LABEL_SECONDARY = Source(
    key="S2",
    citation=(
        "SPRAVATO US Prescribing Information as quoted in label summaries (MPR; DrOracle "
        "quoting label section 2; Current Psychiatry on interactions)"
    ),
    url="https://www.droracle.ai/articles/538624/what-protocol-should-be-in-place-when-administering-spravato",
    locator=(
        "Dosage and Administration 2 (BP >140/90); Warnings 5.x (hypertensive encephalopathy, "
        "embryo-fetal toxicity, lactation); Use in hepatic impairment; Drug interactions 7"
    ),
    verified=False,
    grade=Grade.SECONDARY,
)

TRD_DEFINITION = Source(
    key="S56a",
    citation=(
        "Esketamine nasal spray MADRS/PHQ-9 analysis, CNS Spectrums, defining TRD as inadequate "
        "response to two or more oral antidepressants of adequate dose and duration in the "
        "current episode (citing Gaynes BN et al.)"
    ),
    url=(
        "http://core-varnish-new.prod.aop.cambridge.org/core/journals/cns-spectrums/article/"
        "effects-of-esketamine-nasal-spray-on-depressive-symptom-severity-in-adults-with-"
        "treatmentresistant-depression-and-associations-between-the-montgomeryasberg-depression-"
        "rating-scale-and-the-9item-patient-health-questionnaire/57EB8D14B3F87B81C65DD97390F7E787"
    ),
    locator="Introduction, TRD definition",
    grade=Grade.PRIMARY,
)

MSM_STANDARDISATION_TABLE_3 = Source(
    key="S39a",
    citation=(
        "Fekadu A, Donocik JG, Cleare AJ. Standardisation framework for the Maudsley staging "
        "method for treatment resistance in depression. BMC Psychiatry 2018;18:100"
    ),
    url="https://bmcpsychiatry.biomedcentral.com/articles/10.1186/s12888-018-1679-x/tables/3",
    locator="Table 3 (duration, severity, total range and severity bands)",
    grade=Grade.PRIMARY,
)

# [M]: the treatment-failure rows (antidepressant levels, augmentation, ECT) were not read in a
# retrieved primary text. They were corroborated only by an independent public MSM
# questionnaire implementation (GitHub code, unknown provenance), which is not authoritative.
MSM_TREATMENT_FAILURE_UNVERIFIED = Source(
    key="S39b",
    citation=(
        "Fekadu A, Wooderson S, Donaldson C, et al. A multidimensional tool to quantify "
        "treatment resistance in depression: the Maudsley staging method. J Clin Psychiatry "
        "2009;70(7):952-957 (treatment-failure sub-scores from memory; not read in source text)"
    ),
    url="http://togows.dbcls.jp/entry/ncbi-pubmed/19457299",
    locator="Table 1, treatment failure: antidepressant levels, augmentation, ECT",
    verified=False,
    grade=Grade.SECONDARY,
)

CSSRS_TRIAGE = Source(
    key="S40a",
    citation=(
        "Columbia Lighthouse Project. Columbia Protocol (C-SSRS) screener triage and workflow "
        "guidelines"
    ),
    url="https://cssrs.columbia.edu/the-columbia-scale-c-ssrs/triage-c-ssrs/",
    locator=(
        "Triage: 'yes' to Q4 or Q5 in the past month or suicidal behavior in the past 3 months "
        "requires safety precautions until a mental health professional evaluates"
    ),
    grade=Grade.PRIMARY,
    mandatory=True,
)

SINGLE_QUESTION_DRUG_SCREEN = Source(
    key="smith2010",
    citation=(
        "Smith PC, Schmidt SM, Allensworth-Davies D, Saitz R. A single-question screening test "
        "for drug use in primary care. Arch Intern Med 2010;170(13):1155-1160. "
        "doi:10.1001/archinternmed.2010.140"
    ),
    url="https://pubmed.ncbi.nlm.nih.gov/20625025/",
    locator="Abstract, Methods: a response of at least 1 time was considered positive",
    grade=Grade.PRIMARY,
)

SINGLE_QUESTION_ALCOHOL_SCREEN = Source(
    key="smith2009",
    citation=(
        "Smith PC, Schmidt SM, Allensworth-Davies D, Saitz R. Primary care validation of a "
        "single-question alcohol screening test. J Gen Intern Med 2009;24(7):783-788. "
        "doi:10.1007/s11606-009-0928-6 (NIAAA-recommended question)"
    ),
    url="https://link.springer.com/article/10.1007/s11606-009-0928-6",
    locator=(
        "Abstract, Measurements; Introduction: X is 5 for men and 4 for women, a response of "
        ">= 1 is positive"
    ),
    grade=Grade.PRIMARY,
)
