"""Reproduce published model-based exposures of esketamine nasal spray.

Source: Perez-Ruixo et al., Clin Pharmacokinet 2021;60:501-516, Table 4 (typical-subject
Cmax and AUC0-24 after one intranasal dose, by age and race), as transcribed in the nlmixr2lib
model library vignette PerezRuixo_2020_esketamine. Typical subjects: age 45 (18-60 strata)
or 70 (> 60 strata).
"""

from decimal import Decimal as D

import pytest

from ketacare.clinical.pk import Dose, PkPatient, Route, Sex, simulate_individual

TOLERANCE = 0.05  # 5 %: the paper reports rounded typical values

# stratum (age, asian, japanese), dose mg, esketamine Cmax ng/mL, AUC0-24 ng*h/mL,
# noresketamine Cmax ng/mL
TABLE_4 = [
    ((45, False, False), 28, 43.8, 147.3, 59.1),
    ((45, False, False), 56, 72.5, 254.7, 119.7),
    ((45, False, False), 84, 101.0, 362.2, 180.0),
    ((45, True, False), 56, 73.2, 275.9, 148.5),
    ((45, True, True), 56, 94.5, 335.1, 146.3),
    ((70, False, False), 56, 73.8, 275.8, 117.2),
    ((70, True, False), 84, 103.8, 421.5, 220.4),
    ((70, True, True), 84, 133.8, 513.9, 214.4),
]


@pytest.mark.parametrize(("stratum", "dose_mg", "cmax", "auc", "nor_cmax"), TABLE_4)
def test_single_nasal_dose_reproduces_table_4(stratum, dose_mg, cmax, auc, nor_cmax):
    age, asian, japanese = stratum
    patient = PkPatient(D(74), age, Sex.FEMALE, asian=asian, japanese=japanese)
    result = simulate_individual(
        "perez_ruixo_2021",
        patient,
        (Dose(D(0), D(dose_mg), Route.INTRANASAL),),
        horizon_min=24 * 60,
        step_min=0.1,
    )
    assert result.summary.cmax_ng_ml == pytest.approx(cmax, rel=TOLERANCE)
    assert result.summary.auc_ng_h_ml == pytest.approx(auc, rel=TOLERANCE)
    assert result.metabolite_summary.cmax_ng_ml == pytest.approx(nor_cmax, rel=TOLERANCE)


def test_nasal_peak_comes_within_the_labelled_20_to_40_minutes():
    # Spravato pharmacology: Tmax 20-40 min after the last spray (clinical reference S2/S28)
    result = simulate_individual(
        "perez_ruixo_2021",
        PkPatient(D(74), 45, Sex.MALE),
        (Dose(D(0), D(28), Route.INTRANASAL),),
        horizon_min=240,
        step_min=1,
    )
    assert 20 <= result.summary.tmax_min <= 40
