"""Sources for the outcomes engine (response, remission, relapse, alerts, maintenance timing).

Source keys ``S…`` are the ids of the project's checked clinical reference
(/work/shared/clinical-reference.md). ``verified=False`` marks a secondary ([V*]) source, a
memory-only fact, or a KetaCare product definition: such values are policy defaults a clinic can
change, never hard rules.
"""

from __future__ import annotations

from ketacare.clinical.sources import Grade, Source

RESPONSE_TRIALS = Source(
    key="S15,S35",
    citation=(
        "Anand A et al. Ketamine versus ECT for nonpsychotic treatment-resistant major "
        "depression (ELEKT-D). N Engl J Med 2023 (PMID 37224232); and SUSTAIN-3 subgroup "
        "analysis, CNS Drugs 2023;37(8):715-723 (doi:10.1007/s40263-023-01026-3)"
    ),
    url="https://pubmed.ncbi.nlm.nih.gov/37224232/",
    locator=(
        "ELEKT-D abstract: response = >=50% decrease from baseline in QIDS-SR16; "
        "SUSTAIN-3 Table 3: >=50% improvement from baseline (MADRS and PHQ-9)"
    ),
    grade=Grade.PRIMARY,
)

SUSTAIN3_TABLE3 = Source(
    key="S35",
    citation=(
        "SUSTAIN-3 subgroup analysis (esketamine nasal spray), CNS Drugs 2023;37(8):715-723, "
        "doi:10.1007/s40263-023-01026-3"
    ),
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC10439056/table/Tab3",
    locator="Table 3: remission = total score <=12 (MADRS) or <5 (PHQ-9)",
    grade=Grade.PRIMARY,
)

ASPIRE_REMISSION = Source(
    key="S36b",
    citation=(
        "ASPIRE I/II remission analysis (esketamine for MDD with suicidal ideation), "
        "BMC Psychiatry 2023, doi:10.1186/s12888-023-05017-y"
    ),
    url="https://bmcpsychiatry.biomedcentral.com/articles/10.1186/s12888-023-05017-y",
    locator=(
        "Methods: remission = MADRS <=12; 'consistent remission' = MADRS <=12 on two "
        "consecutive visits"
    ),
    grade=Grade.PRIMARY,
)

KETECT_REMISSION = Source(
    key="S17",
    citation="KetECT randomized trial of ketamine vs ECT (inpatients), 2022, PMC9154276",
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC9154276",
    locator="Methods/outcomes: remission = MADRS <=10",
    grade=Grade.PRIMARY,
)

QIDS_REMISSION = Source(
    key="trivedi2006",
    citation=(
        "Trivedi MH et al. Evaluation of outcomes with citalopram for depression using "
        "measurement-based care in STAR*D. Am J Psychiatry 2006;163(1):28-40"
    ),
    url="https://psychiatryonline.org/doi/10.1176/appi.ajp.163.1.28",
    locator=(
        "Abstract, Method: remission = QIDS-SR score <=5 (secondary outcome); response = "
        ">=50% reduction in baseline QIDS-SR (re-checked 2026-12-03)"
    ),
    grade=Grade.PRIMARY,
)

STARD_RELAPSE = Source(
    key="rush2006stard",
    citation=(
        "Rush AJ et al. Acute and longer-term outcomes in depressed outpatients requiring one "
        "or several treatment steps: a STAR*D report. Am J Psychiatry 2006;163(11):1905-1917"
    ),
    url="https://psychiatryonline.org/doi/abs/10.1176/ajp.2006.163.11.1905",
    locator=(
        "Abstract, Method: QIDS-SR16 <=5 defined remission; a QIDS-SR16 total of >=11 "
        "(HRSD17 >=14) defined relapse in the follow-up phase (re-checked 2026-12-03; also "
        "Rush et al. Psychol Med 2012 STAR*D report: first QIDS-SR16 >=11 = relapse)"
    ),
    grade=Grade.PRIMARY,
)

QIDS_BANDS = Source(
    key="S37c",
    citation=(
        "Rush AJ et al. Biol Psychiatry 2003;54:573-583 / Trivedi 2004; QIDS severity "
        "conversion table, ids-qids.org"
    ),
    url="http://ids-qids.org/interpretation.html",
    locator=(
        "QIDS-SR16 severity: 0-5 none, 6-10 mild, 11-15 moderate, 16-20 severe, 21-27 very severe"
    ),
    grade=Grade.PRIMARY,
)

QIDS_ITEMS = Source(
    key="S37a",
    citation="Rush AJ et al. Biol Psychiatry 2003 (QIDS-SR16 items and domain scoring rule)",
    url="https://www.guidelinecentral.com/calculators/2c9e8038734e3c9e017353447e5a007e/",
    locator="16 items 0-3, 9 domains, total 0-27; item 12 = thoughts of death or suicide",
    grade=Grade.SECONDARY,
)

PHQ9_BANDS = Source(
    key="S33",
    citation=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression "
        "severity measure. J Gen Intern Med 2001;16:606-613"
    ),
    url="http://www.ementalhealth.ca/index.php?m=printSurveyScoring&hideFormatting=1&ID=42",
    locator=(
        "Scoring: total 0-27; bands 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately "
        "severe, 20-27 severe; >=10 sensitivity 88% / specificity 88% for major depression"
    ),
    grade=Grade.PRIMARY,
)

PHQ9_ITEM9 = Source(
    key="S33c",
    citation=(
        "PHQ-9 calculator (calcipedia): item 9 above 0 'is clinically significant regardless "
        "of the overall total and always warrants immediate follow-up'"
    ),
    url="https://www.calcipedia.org/calculators/phq-9-calculator",
    locator="Item 9 interpretation",
    verified=False,  # [V*]: secondary; used only to raise an alert, never to block
    grade=Grade.SECONDARY,
)

KOUNALI_MCID = Source(
    key="S34b",
    citation=(
        "Kounali D et al. How much change is enough? Evidence from a longitudinal study on "
        "depression in UK primary care. Psychol Med 2020"
    ),
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC9340848",
    locator=(
        "Results: minimal clinically important difference ~20% reduction of PHQ-9 for a "
        "moderate baseline; threshold -1.7 points"
    ),
    grade=Grade.PRIMARY,
)

MADRS_RANGE = Source(
    key="S36",
    citation=(
        "Montgomery SA, Åsberg M. A new depression scale designed to be sensitive to change. "
        "Br J Psychiatry 1979;134:382-389 (10 items 0-6, total 0-60)"
    ),
    url="https://en.wikipedia.org/wiki/Montgomery%E2%80%93%C3%85sberg_Depression_Rating_Scale",
    locator="Scale description: 10 items each 0-6, total 0-60",
    grade=Grade.SECONDARY,
)

GAD7_RANGE = Source(
    key="S38a",
    citation=(
        "Spitzer RL et al. A brief measure for assessing generalized anxiety disorder: the "
        "GAD-7. Arch Intern Med 2006;166:1092-1097"
    ),
    url="https://scales.arabpsychology.com/index.php/s/gad-7-anxiety-severity/",
    locator="Scoring: 7 items 0-3, total 0-21",
    grade=Grade.SECONDARY,
)

CSSRS_TRIAGE = Source(
    key="S40a,S40d",
    citation=(
        "Columbia Lighthouse Project. Columbia Protocol (C-SSRS) screener and triage guidelines"
    ),
    url="https://cssrs.columbia.edu/the-columbia-scale-c-ssrs/triage-c-ssrs/",
    locator=(
        "Screener: 2-6 questions; 'yes' to Q4 or Q5 (past month) and/or suicidal behaviour in "
        "the past 3 months requires safety precautions until a mental health professional "
        "evaluates the person"
    ),
    grade=Grade.PRIMARY,
    mandatory=True,
)

MURROUGH_2013_24H = Source(
    key="murrough2013ajp",
    citation=(
        "Murrough JW, Iosifescu DV, Chang LC, et al. Antidepressant efficacy of ketamine in "
        "treatment-resistant major depression: a two-site randomized controlled trial. "
        "Am J Psychiatry 2013;170(10):1134-1142, doi:10.1176/appi.ajp.2013.13030392"
    ),
    url="https://citclinics.com/science-research/antidepressant-efficacy-of-ketamine-in-treatment-resistant-major-depression-a-two-site-randomized-controlled-trial/",
    locator=(
        "Abstract (Method): primary outcome = change in MADRS 24 hours after the infusion; "
        "APA 2013 abstract: 'proportion of participants meeting response criteria at 24 hours'"
    ),
    grade=Grade.PRIMARY,
)

PRODUCT_RAPID_1W = Source(
    key="ketacare-product-rapid-1w",
    citation=(
        "KetaCare product definition (issue text): 'rapid response within 1 week of the first "
        "dose'. No trial defining this window was retrieved; it mirrors the 7-day follow-up of "
        "single-infusion trials (Murrough 2013 secondary outcome: durability over 7 days; "
        "Sanacora 2017: most studies evaluated only the first week)"
    ),
    locator="Product definition, not a published cutoff",
    verified=False,
    grade=Grade.HEURISTIC,
)

SUSTAINED_TWO_VISITS = Source(
    key="S36b",
    citation=(
        "ASPIRE I/II remission analysis, BMC Psychiatry 2023, doi:10.1186/s12888-023-05017-y "
        "('consistent remission' on two consecutive visits), applied by analogy to response"
    ),
    url="https://bmcpsychiatry.biomedcentral.com/articles/10.1186/s12888-023-05017-y",
    locator="Methods: 'consistent remission' = MADRS <=12 on two consecutive visits",
    grade=Grade.PRIMARY,
)

RELAPSE_TRIALS_TABLE = Source(
    key="reltrials2021",
    citation=(
        "Review of antidepressant relapse-prevention trials, Ther Adv Psychopharmacol 2021, "
        "doi:10.1177/20451253211032051, Table 1 'Relapse criteria' (e.g. 'MADRS >=22 and "
        "investigator's judgement'; 'HDRS-17 >=18 at two consecutive visits'). SUSTAIN-1 "
        "(Daly EJ et al. JAMA Psychiatry 2019;76(9):893-903) is recalled to use MADRS >=22 on 2 "
        "consecutive assessments 5-15 days apart, but that text was NOT verified"
    ),
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC8361519/table/table1-20451253211032051",
    locator="Table 1, column 'Relapse criteria' (studies D, F, H, L)",
    grade=Grade.SECONDARY,
)

PARTIAL_RESPONSE_30 = Source(
    key="pmc6690210",
    citation=(
        "Randomized trial of CBT vs escitalopram vs duloxetine for MDD (PMC6690210), "
        "Table 3 footnote: partial response = endpoint HAM-D 30%-49% improved from baseline"
    ),
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC6690210/table/T3",
    locator="Table 3, footnote b",
    grade=Grade.PRIMARY,
)

SANACORA_FUTILITY = Source(
    key="S14b",
    citation=(
        "Sanacora G et al. A consensus statement on the use of ketamine in the treatment of "
        "mood disorders. JAMA Psychiatry 2017;74(4):399-405, as summarised by Medscape (2019)"
    ),
    url="https://reference.medscape.com/viewarticle/913357_3",
    locator=(
        "'few reports suggest a response after more than three infusions if none has "
        "occurred prior'"
    ),
    verified=False,  # [V*]: secondary summary; a review prompt, never a block
    grade=Grade.SECONDARY,
)

SPRAVATO_MAINTENANCE = Source(
    key="S2,S3",
    citation=(
        "SPRAVATO (esketamine) US Prescribing Information, Dosage and Administration (TRD): "
        "weeks 5-8 once weekly; week 9 and after every 2 weeks or once weekly, individualized "
        "to the lowest frequency that maintains remission/response"
    ),
    url="https://www.spravatohcp.com/dosing-spravato-trd",
    locator="Section 2 Dosage and Administration, TRD maintenance table",
    grade=Grade.PRIMARY,
)

PRODUCT_MAINTENANCE = Source(
    key="ketacare-product-maintenance",
    citation=(
        "KetaCare product heuristic for maintenance timing (no published source): schedule "
        "the next dose at a fraction of the patient's median observed durability, and flag "
        "shortening durability; documented in docs/clinical-sources.md"
    ),
    locator="Product definition, not a published rule",
    verified=False,
    grade=Grade.HEURISTIC,
)
