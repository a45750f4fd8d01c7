"""Sources for controlled-substance ledger rules (US federal). Keys follow the project's
checked clinical reference; ``verified=False`` marks facts read only in a secondary copy."""

from __future__ import annotations

from ketacare.clinical.sources import Grade, Source

CFR_1304_21 = Source(
    key="S44",
    citation="21 CFR 1304.21, General requirements for continuing records.",
    url="http://www.law.cornell.edu/cfr/text/21/1304.21",
    locator="(a) complete and accurate record of each substance received, sold, delivered or "
    "otherwise disposed of",
    grade=Grade.PRIMARY,
    mandatory=True,
)
CFR_1304_11_INVENTORY = Source(
    key="S47",
    citation="21 CFR 1304.11(b),(c), Inventory requirements (biennial inventory), as quoted in "
    "compliance summaries.",
    url="https://open-exam-prep.com/glossary/biennial-inventory",
    locator="(c) new inventory at least every two years, on any date within two years of the "
    "previous biennial inventory date; some states require annual inventories",
    verified=False,
    grade=Grade.SECONDARY,
)
DEA_THEFT_LOSS_RULE_2023 = Source(
    key="S48a",
    citation="DEA final rule, Reporting Theft or Significant Loss of Controlled Substances, "
    "88 FR 40707 (2023-06-22), effective 2023-07-24; 21 CFR 1301.76(b).",
    url="https://www.federalregister.gov/api/v1/documents/2023-13085?publication_date=2023-06-22",
    locator="Written notice to the DEA Field Division within one business day of discovery; "
    "DEA Form 106 electronically within 45 days",
    grade=Grade.PRIMARY,
    mandatory=True,
)
WASTAGE_WITNESS_POLICY = Source(
    key="S49",
    citation="21 CFR 1317.95 and DEA Form 41 (two witnesses for destruction of inventory); a "
    "federal witness rule for wastage was NOT FOUND: witnessed waste is a state/institutional "
    "rule, shipped here as a clinic setting, default on (reference rule 30).",
    url="https://codes.findlaw.com/cfr/title-21-food-and-drugs/cfr-sect-21-1317-95/",
    locator="1317.95(d); Form 41 witness signatures",
    verified=False,
    grade=Grade.HEURISTIC,
)
