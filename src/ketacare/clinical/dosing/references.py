"""Sources for dosing, protocols and schedules.

Keys are the source ids of the project's checked clinical reference
(/work/shared/clinical-reference.md, section "Sources"). ``verified=False`` marks facts seen
only in a secondary copy ([V*] in the reference); those never become hard, non-overridable
rules on their own.
"""

from __future__ import annotations

from ketacare.clinical.sources import Grade, Source

SPRAVATO_LABEL_2019 = Source(
    key="S1",
    citation="Janssen. SPRAVATO (esketamine) nasal spray, US Prescribing Information, 2019.",
    url="http://www.janssenlabels.com/package-insert/product-monograph/prescribing-information/SPRAVATO-pi.pdf",
    locator="Section 2 Dosage and Administration; 5.1 Sedation (monitor at least 2 hours)",
    grade=Grade.PRIMARY,
    mandatory=True,
)
SPRAVATO_LABEL_SUMMARY = Source(
    key="S2",
    citation="MPR (Haymarket) SPRAVATO label summary (TRD and MDSI dosing, contraindications).",
    url="https://www.oncologynurseadvisor.com/drug/spravato/",
    locator="Adults: TRD induction/maintenance; MDSI 84 mg twice weekly for 4 weeks",
    grade=Grade.SECONDARY,
)
SPRAVATO_HCP_DOSING = Source(
    key="S3",
    citation="Janssen. SPRAVATO HCP site, Dosing and administration (TRD and MDSI), accessed 2025.",
    url="https://www.spravatohcp.com/dosing-and-administration",
    locator="Dosing table (TRD weeks 1-4, 5-8, 9+; MDSI weeks 1-4); 28 mg device, "
    "5 minutes between devices; BP before and 40 min after dosing",
    grade=Grade.PRIMARY,
    mandatory=True,
)
SPRAVATO_HK_LABEL = Source(
    key="S12",
    citation="MIMS Hong Kong. SPRAVATO dosage (Hong Kong label).",
    url="https://uat.mimsdev.com/hongkong/drug/info/spravato",
    locator="Dosage: patients >=65 years start 28 mg on day 1; 28-mg dose increments",
    grade=Grade.SECONDARY,
)
SANACORA_2017_SUMMARY = Source(
    key="S14b",
    citation="Sanacora G et al. A consensus statement on the use of ketamine in the treatment of "
    "mood disorders. JAMA Psychiatry 2017;74(4):399-405 (Medscape summary, 2019).",
    url="https://reference.medscape.com/viewarticle/913357_3",
    locator="Dose: 0.5 mg/kg infused over 40 minutes",
    verified=False,
    grade=Grade.SECONDARY,
)
ELEKT_D_2023 = Source(
    key="S15",
    citation="Anand A et al. Ketamine versus ECT for nonpsychotic treatment-resistant major "
    "depression (ELEKT-D). N Engl J Med 2023. PMID 37224232.",
    url="https://pubmed.ncbi.nlm.nih.gov/37224232/",
    locator="Methods: 0.5 mg/kg over 40 minutes, twice per week for an initial 3-week phase",
    grade=Grade.PRIMARY,
)
MURROUGH_2013 = Source(
    key="S16",
    citation="Murrough JW et al. Rapid and longer-term antidepressant effects of repeated ketamine "
    "infusions in treatment-resistant major depression. Biol Psychiatry 2013;74(4):250-256.",
    url="https://avyia.com/rapid-and-longer-term-antidepressant-effects-of-repeated-ketamine-infusions-in-treatment-resistant-major-depression/",
    locator="Up to six IV infusions of 0.5 mg/kg, three times weekly over 12 days",
    verified=False,
    grade=Grade.SECONDARY,
)
KETECT_2022 = Source(
    key="S17",
    citation="KetECT randomized trial of ketamine vs ECT, 2022 (PMC9154276).",
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC9154276",
    locator="Methods: 0.5 mg/kg three times weekly, maximum 12 sessions",
    grade=Grade.PRIMARY,
)
IM_VS_IV_2014 = Source(
    key="S18",
    citation="Acute antidepressant effects of intramuscular versus intravenous ketamine. "
    "Indian J Psychol Med 2014;36(1):71-76.",
    url="https://pubmed.ncbi.nlm.nih.gov/24701015/",
    locator="Abstract: 0.5 mg/kg IV vs 0.5 mg/kg IM vs 0.25 mg/kg IM",
    grade=Grade.PRIMARY,
)
ANDRADE_2017 = Source(
    key="S19",
    citation="Andrade C. Ketamine for depression, 4: in what dose, at what rate, by what route, "
    "for how long, and at what frequency? J Clin Psychiatry 2017;78(7):e852-e857.",
    url="https://dev2.psychiatrist.com/jcp/ketamine-for-depression-dosing-administration-and-duration",
    locator="Rate: conventionally over 40 min; 2-100 min studied; frequency individualized",
    grade=Grade.PRIMARY,
)
KADS_2023 = Source(
    key="S21",
    citation="Loo C et al. Efficacy and safety of a 4-week course of repeated subcutaneous "
    "ketamine injections for treatment-resistant depression (KADS). "
    "Br J Psychiatry 2023;223(6):533-541.",
    url="https://pmc.ncbi.nlm.nih.gov/articles/PMC10727911/",
    locator="Methods: SC twice weekly for 4 weeks; fixed 0.5 mg/kg, then flexible 0.5-0.9 mg/kg",
    grade=Grade.PRIMARY,
)
FAVA_2020 = Source(
    key="S22",
    citation="Fava M et al. Double-blind, placebo-controlled, dose-ranging trial of intravenous "
    "ketamine as adjunctive therapy in treatment-resistant depression. Mol Psychiatry "
    "2020;25:1592-1603.",
    url="https://www.nature.com/articles/s41380-018-0256-5",
    locator="Doses 0.1, 0.2, 0.5 and 1.0 mg/kg single infusion; highest dose tested 1.0 mg/kg",
    grade=Grade.PRIMARY,
)
DUNLOP_EMORY_BP = Source(
    key="S25",
    citation="Dunlop BW et al. Blood pressure safety of subanesthetic ketamine for depression: "
    "a report on 684 infusions. J Affect Disord (summary).",
    url="https://moreblossom.com/papers/blood-pressure-safety-of-subanesthetic-ketamine-for-depression-a-report-on-684-i",
    locator="BP every 10 min during the 40-min infusion and every 15 min thereafter",
    verified=False,
    grade=Grade.SECONDARY,
)
CHEO_MONOGRAPH = Source(
    key="S27",
    citation="CHEO drug monograph: ketamine (rapid IV administration may produce respiratory "
    "depression and enhance pressor response).",
    url="https://outreach.cheo.on.ca/manual/1619",
    locator="Administration",
    verified=False,
    grade=Grade.SECONDARY,
)
SPACING_DERIVED = Source(
    key="derived-spacing",
    citation="KetaCare derivation from published schedules: ELEKT-D twice weekly (S15), Murrough "
    "three times weekly over 12 days (S16), KADS twice weekly (S21), SPRAVATO twice weekly "
    "induction (S2, S3). No cited protocol doses on consecutive days; the EU SmPC (read in a "
    "copy) does not recommend esketamine on two consecutive days (guidance).",
    locator="See docs/clinical-sources.md, Dosing section, spacing rows",
    verified=False,
    grade=Grade.HEURISTIC,
)
