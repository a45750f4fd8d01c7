"""Published sources behind the pharmacokinetic parameter sets (see docs/pk-validation.md)."""

from __future__ import annotations

from ketacare.clinical.sources import Grade, Source

PEREZ_RUIXO_2021 = Source(
    key="perez_ruixo_2021",
    citation=(
        "Perez-Ruixo C, Rossenu S, Zannikos P, Nandy P, Singh J, Drevets WC, Perez-Ruixo JJ. "
        "Population Pharmacokinetics of Esketamine Nasal Spray and its Metabolite Noresketamine "
        "in Healthy Subjects and Patients with Treatment-Resistant Depression. "
        "Clin Pharmacokinet. 2021;60(4):501-516. doi:10.1007/s40262-020-00953-4"
    ),
    url="https://doi.org/10.1007/s40262-020-00953-4",
    locator=(
        "Table 3 (final parameter estimates), Section 2.3 and Fig. 1 (structure), Table 4 "
        "(model-based Cmax/AUC0-24); values as transcribed with a Table 3 trace in the nlmixr2lib "
        "model library, inst/modeldb/specificDrugs/PerezRuixo_2020_esketamine.R; Vss 752 L "
        "(192+143+417) and noresketamine Vss 185 L (70+115) match the paper's abstract"
    ),
    grade=Grade.SECONDARY,
)

KAMP_2020 = Source(
    key="kamp_2020",
    citation=(
        "Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A; Ketamine "
        "Pharmacokinetic Study Group. Ketamine Pharmacokinetics: A Systematic Review of the "
        "Literature, Meta-analysis, and Population Analysis. Anesthesiology. "
        "2020;133(6):1192-1213. doi:10.1097/ALN.0000000000003577"
    ),
    url="https://doi.org/10.1097/ALN.0000000000003577",
    locator="Abstract, Results: weighted mean volume of distribution and clearance at 70 kg",
    grade=Grade.PRIMARY,
)

CLEMENTS_250 = Source(
    key="clements_250",
    citation=(
        "Clements JA, Nimmo WS. Pharmacokinetics and analgesic effect of ketamine in man. "
        "Br J Anaesth. 1981;53(1):27-30. doi:10.1093/bja/53.1.27 (the 'Clements 250' TCI "
        "parameter set, 250 microgram/kg bolus data)"
    ),
    url="https://doi.org/10.1093/bja/53.1.27",
    locator=(
        "secondary: open-source TCI library opentiva, opentiva/ketamine.py class Clements250 "
        "(PMID 7459184); the paper's own table was not retrieved"
    ),
    verified=False,
    grade=Grade.SECONDARY,
)

DOMINO_1982 = Source(
    key="domino_1982",
    citation=(
        "Domino EF et al. ketamine pharmacokinetic model as used in TCI simulators (PMID 7198883)"
    ),
    url="https://pubmed.ncbi.nlm.nih.gov/7198883/",
    locator=(
        "secondary: two independent open-source TCI implementations agree (opentiva/ketamine.py "
        "class Domino; fus_anes tci TCI_Ketamine); the paper's own table was not retrieved"
    ),
    verified=False,
    grade=Grade.SECONDARY,
)

ELEKT_D_2023 = Source(
    key="S15",
    citation=(
        "Anand A et al. Ketamine versus ECT for Nonpsychotic Treatment-Resistant Major "
        "Depression (ELEKT-D). N Engl J Med 2023. PMID 37224232"
    ),
    url="https://pubmed.ncbi.nlm.nih.gov/37224232/",
    locator="Methods: ketamine 0.5 mg per kg of body weight over 40 minutes",
    grade=Grade.PRIMARY,
)

OTTO_2021 = Source(
    key="otto_2021",
    citation=(
        "Otto ME, Bergmann KR, Jacobs G, van Esdonk MJ. Predictive performance of "
        "parent-metabolite population pharmacokinetic models of (S)-ketamine in healthy "
        "volunteers. Eur J Clin Pharmacol. 2021;77(8):1181-1192. doi:10.1007/s00228-021-03104-1. "
        "S-ketamine parameters fixed to Fanta S, Kinnunen M, Backman JT, Kalso E. Eur J Clin "
        "Pharmacol. 2015;71(4):441-447. doi:10.1007/s00228-015-1826-y"
    ),
    url="https://doi.org/10.1007/s00228-021-03104-1",
    locator=(
        "Table 3 (final model; S-ketamine rows = Fanta 2015 values, fixed), Table 3 footnote "
        "(allometric exponents), supplementary NONMEM code (THETA(1)-(10), OMEGA BLOCK(2), "
        "$DES); as transcribed with a per-parameter source trace in the nlmixr2lib model "
        "library, inst/modeldb/specificDrugs/Otto_2021_s_ketamine.R. Cross-check: CL 95.2 L/h "
        "at 70 kg matches the Fanta 2015 abstract (95 L/h/70 kg)"
    ),
    grade=Grade.SECONDARY,
)
