"""Sources for the statistics and the disclosure-control default used by ``analytics``."""

from ketacare.clinical.sources import Grade, Source

WILSON_1927 = Source(
    key="wilson1927",
    citation=(
        "Wilson EB. Probable inference, the law of succession, and statistical inference. "
        "J Am Stat Assoc. 1927;22(158):209-212 (score interval; see also Brown, Cai, "
        "DasGupta. Interval estimation for a binomial proportion. Stat Sci. 2001;16(2):101-133)"
    ),
    url="https://doi.org/10.1080/01621459.1927.10502953",
    locator="score interval for a binomial proportion",
    grade=Grade.PRIMARY,
)

KAPLAN_MEIER_1958 = Source(
    key="kaplanmeier1958",
    citation=(
        "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. "
        "J Am Stat Assoc. 1958;53(282):457-481"
    ),
    url="https://doi.org/10.1080/01621459.1958.10501452",
    locator="product-limit estimator",
    grade=Grade.PRIMARY,
)

CMS_CELL_SUPPRESSION = Source(
    key="cms_cell_suppression",
    citation=(
        "Centers for Medicare & Medicaid Services. CMS Cell Size Suppression Policy "
        "(ResDAC, version 05/08/2017, re-issued 01/26/2024): no cell containing a value of "
        "1 to 10 can be reported directly, nor derived from other reported cells; zero is "
        "allowed"
    ),
    url="https://resdac.org/articles/cms-cell-size-suppression-policy",
    locator="'What is the CMS cell size suppression policy?'",
    grade=Grade.PRIMARY,
    mandatory=True,
)
