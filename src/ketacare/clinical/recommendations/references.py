"""Published sources behind the treatment-recommendation engine.

Keys ``S…`` are the source ids of the project's checked clinical reference
(/work/shared/clinical-reference.md). ``verified=False`` marks a fact read only in a secondary
copy or summary ([V*]); such a fact never makes an option "excluded" on its own: it is a policy
default or a caution.
"""

from __future__ import annotations

from ketacare.clinical.sources import Grade, Source

CANMAT_KETAMINE_TASK_FORCE = Source(
    key="S24",
    citation=(
        "Swainson J et al. The Canadian Network for Mood and Anxiety Treatments (CANMAT) Task "
        "Force recommendations for the use of racemic ketamine in adults with major depressive "
        "disorder. Can J Psychiatry 2021;66(2):113-125; commentary Zarate CA, Can J Psychiatry "
        "2021;66(6):537-539 (PMC8138742)"
    ),
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC8138742/",
    locator=(
        "Single IV infusion Level 1; repeated or maintenance infusions Level 3 (case-by-case); "
        "non-IV racemic ketamine Level 3-4; IV ketamine positioned third-line"
    ),
    grade=Grade.CONSENSUS,
)

CANMAT_2016_NEUROSTIMULATION = Source(
    key="canmat2016-s4",
    citation=(
        "Milev RV et al. CANMAT 2016 Clinical Guidelines for the Management of Adults with Major "
        "Depressive Disorder: Section 4. Neurostimulation Treatments. Can J Psychiatry "
        "2016;61(9):561-575, doi:10.1177/0706743716660033"
    ),
    url="https://pubmed.ncbi.nlm.nih.gov/27486154/",
    locator=(
        "Abstract, Conclusions: rTMS first-line for MDD after failure of at least 1 "
        "antidepressant; ECT second-line for treatment-resistant depression, first-line in "
        "some situations"
    ),
    grade=Grade.CONSENSUS,
)

# [V*]: a CMAJ review table summarising the CANMAT neurostimulation guidance (its reference 51);
# read in retrieved text, but secondary, and the table may reflect an earlier CANMAT edition.
CANMAT_NEUROSTIMULATION_TABLE = Source(
    key="cmaj-canmat-table3",
    citation=(
        "CMAJ review, Table 3: Canadian Network for Mood and Anxiety Treatments guidelines for "
        "neurostimulation (summary of CANMAT, its ref. 51)"
    ),
    url="https://cmaj.ca/highwire/markup/49948/expansion",
    locator=(
        "Table 3: ECT first-line for a major depressive episode with psychosis or suicidal "
        "ideation, acute efficacy Level 1; rTMS acute efficacy Level 1"
    ),
    verified=False,
    grade=Grade.SECONDARY,
)

SPRAVATO_DOSING = Source(
    key="S2,S3",
    citation=(
        "SPRAVATO (esketamine) US Prescribing Information, Dosage and Administration (label "
        "summary S2; Janssen HCP dosing pages S3)"
    ),
    url="https://www.spravatohcp.com/dosing-spravato-trd",
    locator=(
        "TRD induction weeks 1-4 twice weekly, evaluate benefit at end of induction; "
        "maintenance weeks 5-8 once weekly, week 9+ every 2 weeks or weekly; MDSI 84 mg twice "
        "weekly for 4 weeks, does not preclude hospitalization"
    ),
    grade=Grade.PRIMARY,
    mandatory=True,
)

SPRAVATO_CONTRAINDICATIONS = Source(
    key="S2,S9",
    citation=(
        "SPRAVATO US Prescribing Information, Contraindications (MPR label summary; US Medicine "
        "brief summary 2021)"
    ),
    url="https://www.usmedicine.com/2021online-dir/inc/html/30.html",
    locator=(
        "Contraindications: aneurysmal vascular disease or AVM; history of intracerebral "
        "hemorrhage; hypersensitivity to esketamine, ketamine or excipients. Pediatric use: "
        "not approved under 18 years"
    ),
    grade=Grade.PRIMARY,
    mandatory=True,
)

SPRAVATO_WARNINGS = Source(
    key="S1,S2",
    citation=(
        "SPRAVATO US Prescribing Information, Warnings and Precautions (2019 label text S1; "
        "label summaries S2)"
    ),
    url=(
        "http://www.janssenlabels.com/package-insert/product-monograph/"
        "prescribing-information/SPRAVATO-pi.pdf"
    ),
    locator=(
        "5.2 dissociation: carefully assess patients with psychosis; 5.4 abuse and misuse: "
        "careful consideration with substance use disorder; BP: do not administer if a BP rise "
        "poses serious risk; embryo-fetal toxicity: not recommended in pregnancy"
    ),
    verified=False,
    grade=Grade.SECONDARY,
)

SANACORA_CONSENSUS = Source(
    key="S14a,S14b,S14c",
    citation=(
        "Sanacora G et al. A Consensus Statement on the Use of Ketamine in the Treatment of "
        "Mood Disorders. JAMA Psychiatry 2017;74(4):399-405 (as summarised by Medscape 2019)"
    ),
    url="https://reference.medscape.com/viewarticle/913357_3",
    locator=(
        "'few reports suggest a response after more than three infusions if none has occurred "
        "prior'; strongest data in depression without psychotic features"
    ),
    verified=False,
    grade=Grade.SECONDARY,
)

ELEKT_D = Source(
    key="S15",
    citation=(
        "Anand A et al. Ketamine versus ECT for nonpsychotic treatment-resistant major "
        "depression (ELEKT-D). N Engl J Med 2023 (PMID 37224232)"
    ),
    url="https://pubmed.ncbi.nlm.nih.gov/37224232/",
    locator=(
        "Ketamine 0.5 mg/kg twice weekly for 3 weeks vs ECT three times weekly; response "
        "(>=50% QIDS-SR16 decrease) 55.4% vs 41.2%, noninferior"
    ),
    grade=Grade.PRIMARY,
)

KETECT = Source(
    key="S17",
    citation="KetECT randomized trial of ketamine vs ECT (inpatients), 2022, PMC9154276",
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC9154276",
    locator="Results: remission (MADRS <=10) 46% ketamine vs 63% ECT",
    grade=Grade.PRIMARY,
)

SUSTAIN_1 = Source(
    key="S41",
    citation=(
        "Daly EJ et al. Efficacy of esketamine nasal spray plus oral antidepressant treatment "
        "for relapse prevention (SUSTAIN-1). JAMA Psychiatry 2019;76(9):893-903"
    ),
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC6551577",
    locator=(
        "Abstract: stable remitters relapsed 26.7% (esketamine) vs 45.3% (placebo), HR 0.49, NNT 6"
    ),
    grade=Grade.PRIMARY,
)

IM_KETAMINE_TRIAL = Source(
    key="S18",
    citation=(
        "Acute antidepressant effects of intramuscular versus intravenous ketamine. Indian J "
        "Psychol Med 2014;36(1):71-76"
    ),
    url="https://pubmed.ncbi.nlm.nih.gov/24701015/",
    locator="Abstract: 0.5 mg/kg IV vs 0.5 mg/kg IM vs 0.25 mg/kg IM, randomized open-label, n=27",
    grade=Grade.PRIMARY,
)

CSSRS_TRIAGE = Source(
    key="S40a",
    citation=(
        "Columbia Lighthouse Project. Columbia Protocol (C-SSRS) screener triage and workflow "
        "guidelines"
    ),
    url="https://cssrs.columbia.edu/the-columbia-scale-c-ssrs/triage-c-ssrs/",
    locator=(
        "High risk requires safety precautions until a mental health professional evaluates "
        "for possible hospitalization"
    ),
    grade=Grade.PRIMARY,
    mandatory=True,
)

PHQ9_ITEM9_FOLLOW_UP = Source(
    key="S33c",
    citation="PHQ-9 item 9 follow-up guidance (calculator site quoting Kroenke 2001 scoring)",
    url="https://www.calcipedia.org/calculators/phq-9-calculator",
    locator="Item 9 above 0 warrants immediate follow-up regardless of the total",
    verified=False,
    grade=Grade.SECONDARY,
)

KETACARE_PRODUCT_RULE = Source(
    key="ketacare-recommendation-engine",
    citation=(
        "KetaCare recommendation engine design (docs/clinical-sources.md, 'Treatment "
        "recommendations'): not a clinical fact, an explicit product rule"
    ),
    verified=False,
    grade=Grade.HEURISTIC,
)
