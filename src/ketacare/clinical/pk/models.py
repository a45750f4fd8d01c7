"""Published ketamine and esketamine pharmacokinetic parameter sets, as data.

Implemented (each with its source, population and units; parameters are registered with
``cited`` and listed in docs/clinical-sources.md, section "Pharmacokinetics"):

- ``clements_250``: racemic ketamine, 2-compartment, IV (secondary source: open-source TCI code).
- ``domino``: racemic ketamine, 3-compartment, IV (secondary source: two TCI codes agree).
- ``kamp_2020``: racemic ketamine, 1-compartment meta-analytic CL and V at 70 kg, IV.
- ``perez_ruixo_2021``: esketamine nasal spray population model with hepato-portal first pass,
  noresketamine metabolite, age and race covariates and between-subject variability; routes
  intranasal, oral and IV.

- ``otto_2021``: S-ketamine IV, 3-compartment with the Fanta 2015 parameters (fixed in Otto
  2021), plus a 2-compartment S-norketamine fed by all S-ketamine clearance; weight-scaled
  central volumes and clearances; correlated between-subject variability on V and CL.

Deliberately not done: the Fanta 2015 oral route (its presystemic norketamine formation and
transit compartments were replaced in Otto 2021 and their values were not retrieved);
absorption (IM, intranasal, oral, sublingual) for racemic ketamine (no verified ka
and F pairs were found, so those routes raise ``route_not_supported``); between-subject
variability for the three racemic models (none published in the retrieved sources, so
population simulation of them raises ``no_between_subject_variability``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from ketacare.clinical.pk.engine import LinearSystem
from ketacare.clinical.pk.references import (
    CLEMENTS_250,
    DOMINO_1982,
    KAMP_2020,
    OTTO_2021,
    PEREZ_RUIXO_2021,
)
from ketacare.clinical.sources import Source, cited


class Route(StrEnum):
    IV = "iv"  # bolus (infusion_min = 0) or zero-order infusion
    INTRAMUSCULAR = "im"
    INTRANASAL = "intranasal"
    ORAL = "oral"
    SUBLINGUAL = "sublingual"


@dataclass(frozen=True, slots=True)
class RouteInput:
    """Where a dose goes: compartment, fraction of the dose, and zero-order duration.

    ``duration_min`` None means the dose's own infusion duration (IV).
    """

    compartment: int
    fraction: np.ndarray  # (P,)
    duration_min: float | None = None


@dataclass(frozen=True, slots=True)
class BuiltModel:
    system: LinearSystem
    # route -> inputs for a dose of the given amount (mg); the amount matters where the
    # published model makes absorption dose-dependent (intranasal FRn per spray)
    routes: Mapping[Route, Callable[[float], tuple[RouteInput, ...]]]


@dataclass(frozen=True, slots=True)
class Covariates:
    """Per-patient covariates as arrays (P,) so one build serves a whole population."""

    weight_kg: np.ndarray
    age_years: np.ndarray
    asian: np.ndarray  # 0/1
    japanese: np.ndarray  # 0/1


@dataclass(frozen=True, slots=True)
class PkModel:
    code: str
    name: str
    drug: str
    metabolite: str | None
    source: Source
    population: str
    routes: frozenset[Route]
    covariates: tuple[str, ...]
    typical: Mapping[str, float]  # parameter -> typical value (units in ``units``)
    units: Mapping[str, str]
    # log-normal BSV variances (omega^2); "logit:" prefix means additive on the logit scale
    omega2: Mapping[str, float] = field(default_factory=dict)
    build: Callable[[Mapping[str, np.ndarray], Covariates], BuiltModel] | None = None
    # correlated log-normal BSV: (parameter names, covariance matrix of their etas)
    omega_blocks: tuple[tuple[tuple[str, ...], tuple[tuple[float, ...], ...]], ...] = ()

    @property
    def has_variability(self) -> bool:
        return bool(self.omega2) or bool(self.omega_blocks)

    def variability_summary(self) -> dict[str, float]:
        """omega^2 per parameter; covariances as "cov:a,b" (log scale)."""
        out = dict(self.omega2)
        for names, matrix in self.omega_blocks:
            for i, a in enumerate(names):
                out[a] = matrix[i][i]
                for j in range(i + 1, len(names)):
                    out[f"cov:{a},{names[j]}"] = matrix[i][j]
        return out


def _param(model: str, name: str, value: float, unit: str, source: Source) -> float:
    return cited(f"PK_{model.upper()}_{name.upper()}", value, unit, source)


def _mammillary(
    k10: np.ndarray, k12: np.ndarray, k21: np.ndarray, k13=None, k31=None
) -> np.ndarray:
    """Central + 1 or 2 peripherals, rate constants per minute. Compartment 0 is central."""
    n = 2 if k13 is None else 3
    a = np.zeros((k10.shape[0], n, n))
    a[:, 0, 0] = -(k10 + k12 + (0 if k13 is None else k13))
    a[:, 0, 1] = k21
    a[:, 1, 0] = k12
    a[:, 1, 1] = -k21
    if k13 is not None:
        a[:, 0, 2] = k31
        a[:, 2, 0] = k13
        a[:, 2, 2] = -k31
    return a


def _iv_only(system: LinearSystem) -> BuiltModel:
    ones = np.ones(system.n_patients)
    iv = (RouteInput(0, ones),)
    return BuiltModel(system, {Route.IV: lambda _dose_mg: iv})


# --- Clements 250 (racemic ketamine) -----------------------------------------------------
_C = "clements_250"
CLEMENTS_V1_L_PER_KG = _param(_C, "v1_l_per_kg", 1.7522, "L/kg", CLEMENTS_250)
CLEMENTS_K10_PER_MIN = _param(_C, "k10_per_min", 0.0109, "1/min", CLEMENTS_250)
CLEMENTS_K12_PER_MIN = _param(_C, "k12_per_min", 0.0186, "1/min", CLEMENTS_250)
CLEMENTS_K21_PER_MIN = _param(_C, "k21_per_min", 0.0137, "1/min", CLEMENTS_250)


def _build_clements(p: Mapping[str, np.ndarray], cov: Covariates) -> BuiltModel:
    a = _mammillary(p["k10"], p["k12"], p["k21"])
    v1 = p["v1_l_per_kg"] * cov.weight_kg
    return _iv_only(LinearSystem(a, (0,), v1[:, None]))


# --- Domino (racemic ketamine) ------------------------------------------------------------
_D = "domino"
DOMINO_V1_L_PER_KG = _param(_D, "v1_l_per_kg", 0.063, "L/kg", DOMINO_1982)
DOMINO_K10_PER_MIN = _param(_D, "k10_per_min", 0.4381, "1/min", DOMINO_1982)
DOMINO_K12_PER_MIN = _param(_D, "k12_per_min", 0.5921, "1/min", DOMINO_1982)
DOMINO_K13_PER_MIN = _param(_D, "k13_per_min", 0.5900, "1/min", DOMINO_1982)
DOMINO_K21_PER_MIN = _param(_D, "k21_per_min", 0.2470, "1/min", DOMINO_1982)
DOMINO_K31_PER_MIN = _param(_D, "k31_per_min", 0.0146, "1/min", DOMINO_1982)


def _build_domino(p: Mapping[str, np.ndarray], cov: Covariates) -> BuiltModel:
    a = _mammillary(p["k10"], p["k12"], p["k21"], p["k13"], p["k31"])
    v1 = p["v1_l_per_kg"] * cov.weight_kg
    return _iv_only(LinearSystem(a, (0,), v1[:, None]))


# --- Kamp 2020 meta-analysis (racemic ketamine) ------------------------------------------
_K = "kamp_2020"
KAMP_V_L_PER_70KG = _param(_K, "v_l_per_70kg", 252.0, "L/70 kg", KAMP_2020)
KAMP_CL_L_PER_H_AT_70KG = _param(_K, "cl_l_per_h_at_70kg", 79.0, "L/h at 70 kg", KAMP_2020)


def _build_kamp(p: Mapping[str, np.ndarray], cov: Covariates) -> BuiltModel:
    # Scaling to other weights is KetaCare's assumption (V linear in weight as the paper's
    # "l/70 kg" unit reads; CL with the standard allometric exponent 0.75), not a paper value.
    v = p["v"] * cov.weight_kg / 70.0
    cl_per_min = p["cl"] / 60.0 * (cov.weight_kg / 70.0) ** 0.75
    a = (-(cl_per_min / v))[:, None, None]
    return _iv_only(LinearSystem(a, (0,), v[:, None]))


# --- Perez-Ruixo 2021 (esketamine nasal spray + noresketamine) ---------------------------
_P = "perez_ruixo_2021"
PR_FRN = _param(_P, "frn", 0.54, "fraction of a 28 mg spray absorbed nasally", PEREZ_RUIXO_2021)
PR_FRN_JAPANESE = _param(_P, "frn_japanese_factor", 1.34, "multiplier", PEREZ_RUIXO_2021)
PR_FRN_DOSE_EFFECT = _param(
    _P, "frn_dose_effect", 0.62, "multiplier per extra spray", PEREZ_RUIXO_2021
)
PR_KA_N_PER_H = _param(_P, "ka_n_per_h", 2.93, "1/h", PEREZ_RUIXO_2021)
PR_DSW_H = _param(_P, "dsw_h", 0.53, "h", PEREZ_RUIXO_2021)
PR_KA_SW_PER_H = _param(_P, "ka_sw_per_h", 1.45, "1/h", PEREZ_RUIXO_2021)
PR_DPO_H = _param(_P, "dpo_h", 0.32, "h", PEREZ_RUIXO_2021)
PR_KA_PO_PER_H = _param(_P, "ka_po_per_h", 0.97, "1/h", PEREZ_RUIXO_2021)
PR_FGUT = _param(_P, "fgut", 0.64, "fraction", PEREZ_RUIXO_2021)
PR_VC_L = _param(_P, "vc_l", 192.0, "L", PEREZ_RUIXO_2021)
PR_Q1_L_PER_H = _param(_P, "q1_l_per_h", 84.3, "L/h", PEREZ_RUIXO_2021)
PR_VP1_L = _param(_P, "vp1_l", 143.0, "L", PEREZ_RUIXO_2021)
PR_Q2_L_PER_H = _param(_P, "q2_l_per_h", 37.6, "L/h", PEREZ_RUIXO_2021)
PR_VP2_L = _param(_P, "vp2_l", 417.0, "L", PEREZ_RUIXO_2021)
PR_QH_L_PER_H = _param(_P, "qh_l_per_h", 151.0, "L/h", PEREZ_RUIXO_2021)
PR_QH_AGE_SLOPE = _param(
    _P, "qh_age_slope_l_per_h_per_year", 2.19, "L/h per year over 60", PEREZ_RUIXO_2021
)
PR_QH_AGE_THRESHOLD_Y = _param(_P, "qh_age_threshold_years", 60, "years", PEREZ_RUIXO_2021)
PR_VH_L = _param(_P, "vh_l", 101.0, "L", PEREZ_RUIXO_2021)
PR_KEL_PER_H = _param(_P, "kel_per_h", 1.11, "1/h", PEREZ_RUIXO_2021)
PR_KEL_ASIAN = _param(_P, "kel_asian_factor", 0.36, "multiplier", PEREZ_RUIXO_2021)
PR_KMET_PER_H = _param(_P, "kmet_per_h", 2.77, "1/h", PEREZ_RUIXO_2021)
PR_VCN_L = _param(_P, "vcn_l", 70.0, "L (apparent, /F)", PEREZ_RUIXO_2021)
PR_CLN_L_PER_H = _param(_P, "cln_l_per_h", 38.0, "L/h (apparent, /F)", PEREZ_RUIXO_2021)
PR_CLN_ASIAN = _param(_P, "cln_asian_factor", 0.81, "multiplier", PEREZ_RUIXO_2021)
PR_VPN_L = _param(_P, "vpn_l", 115.0, "L (apparent, /F)", PEREZ_RUIXO_2021)
PR_Q3_L_PER_H = _param(_P, "q3_l_per_h", 26.1, "L/h (apparent, /F)", PEREZ_RUIXO_2021)
# Between-subject variability: Table 3 CV% converted as omega^2 = ln(1 + CV^2); FRn is
# additive on the logit scale with SD 0.708. Table 3 leaves omega(kmet) blank: no BSV on kmet.
PR_OMEGA2 = {
    "logit:frn": _param(_P, "omega2_logit_frn", 0.501, "variance (logit scale)", PEREZ_RUIXO_2021),
    "ka_n": _param(_P, "omega2_ka_n", 0.319, "variance (log scale)", PEREZ_RUIXO_2021),
    "ka_sw": _param(_P, "omega2_ka_sw", 1.009, "variance (log scale)", PEREZ_RUIXO_2021),
    "ka_po": _param(_P, "omega2_ka_po", 1.009, "variance (log scale)", PEREZ_RUIXO_2021),
    "vc": _param(_P, "omega2_vc", 0.0730, "variance (log scale)", PEREZ_RUIXO_2021),
    "vp1": _param(_P, "omega2_vp1", 0.218, "variance (log scale)", PEREZ_RUIXO_2021),
    "qh_eta": _param(_P, "omega2_qh", 0.0524, "variance (log scale)", PEREZ_RUIXO_2021),
    "vh": _param(_P, "omega2_vh", 0.113, "variance (log scale)", PEREZ_RUIXO_2021),
    "kel": _param(_P, "omega2_kel", 0.892, "variance (log scale)", PEREZ_RUIXO_2021),
    "vcn": _param(_P, "omega2_vcn", 0.0955, "variance (log scale)", PEREZ_RUIXO_2021),
    "cln": _param(_P, "omega2_cln", 0.0625, "variance (log scale)", PEREZ_RUIXO_2021),
}
SPRAY_MG = _param(_P, "spray_mg", 28.0, "mg per nasal device", PEREZ_RUIXO_2021)

# compartments
_NASAL, _SWALLOWED, _ORAL, _CENT, _P1, _P2, _LIVER, _MET, _METP = range(9)


def _build_perez_ruixo(p: Mapping[str, np.ndarray], cov: Covariates) -> BuiltModel:
    per_h = 1.0 / 60.0
    n = cov.weight_kg.shape[0]
    qh = p["qh"] - p["qh_age_slope"] * np.maximum(0.0, cov.age_years - PR_QH_AGE_THRESHOLD_Y)
    qh = qh * p["qh_eta"]
    kel = p["kel"] * np.where(cov.asian > 0, PR_KEL_ASIAN, 1.0)
    cln = p["cln"] * np.where(cov.asian > 0, PR_CLN_ASIAN, 1.0)
    vc, vp1, vp2, vh = p["vc"], p["vp1"], p["vp2"], p["vh"]
    a = np.zeros((n, 9, 9))

    def flow(src: int, dst: int, k: np.ndarray) -> None:
        a[:, src, src] -= k
        if dst >= 0:
            a[:, dst, src] += k

    flow(_NASAL, _CENT, p["ka_n"] * per_h)
    flow(_SWALLOWED, _LIVER, p["ka_sw"] * per_h)
    flow(_ORAL, _LIVER, p["ka_po"] * per_h)
    flow(_CENT, _P1, p["q1"] / vc * per_h)
    flow(_P1, _CENT, p["q1"] / vp1 * per_h)
    flow(_CENT, _P2, p["q2"] / vc * per_h)
    flow(_P2, _CENT, p["q2"] / vp2 * per_h)
    flow(_CENT, _LIVER, qh / vc * per_h)
    flow(_LIVER, _CENT, qh / vh * per_h)
    flow(_LIVER, -1, kel * per_h)
    flow(_LIVER, _MET, p["kmet"] * per_h)
    flow(_MET, -1, cln / p["vcn"] * per_h)
    flow(_MET, _METP, p["q3"] / p["vcn"] * per_h)
    flow(_METP, _MET, p["q3"] / p["vpn"] * per_h)
    frn = p["frn"] * np.where(cov.japanese > 0, PR_FRN_JAPANESE, 1.0)
    frn = np.clip(frn, 0.0, 1.0)
    system = LinearSystem(a, (_CENT, _MET), np.stack([vc, p["vcn"]], axis=1))
    fgut = np.full(n, PR_FGUT)
    iv = (RouteInput(_CENT, np.ones(n)),)
    oral = (RouteInput(_ORAL, fgut, PR_DPO_H * 60.0),)

    def intranasal(dose_mg: float) -> tuple[RouteInput, ...]:
        # The nasal fraction FRn is absorbed from the nasal cavity; the rest is swallowed
        # (zero-order over Dsw, then first-order through the hepato-portal compartment).
        frn_dose = intranasal_frn_for_dose(frn, dose_mg)
        return (
            RouteInput(_NASAL, frn_dose, 0.0),
            RouteInput(_SWALLOWED, (1.0 - frn_dose) * fgut, PR_DSW_H * 60.0),
        )

    routes = {
        Route.IV: lambda _dose_mg: iv,
        Route.ORAL: lambda _dose_mg: oral,
        Route.INTRANASAL: intranasal,
    }
    return BuiltModel(system, routes)


def intranasal_frn_for_dose(frn_per_spray: np.ndarray, dose_mg: float) -> np.ndarray:
    """Per-dose FRn for N x 28 mg sprays: FRn (1 + (N - 1) * 0.62) / N (Table 3 dose effect)."""
    sprays = max(1.0, dose_mg / SPRAY_MG)
    return frn_per_spray * (1.0 + (sprays - 1.0) * PR_FRN_DOSE_EFFECT) / sprays


# --- Otto 2021 (S-ketamine = Fanta 2015 parameters, with S-norketamine) -----------------
_O = "otto_2021"
OTTO_VC_L = _param(_O, "vc_l_at_70kg", 133.0, "L at 70 kg", OTTO_2021)
OTTO_CL_L_PER_H = _param(_O, "cl_l_per_h_at_70kg", 95.2, "L/h at 70 kg", OTTO_2021)
OTTO_VP1_L = _param(_O, "vp1_l", 187.0, "L", OTTO_2021)
OTTO_Q1_L_PER_H = _param(_O, "q1_l_per_h", 23.2, "L/h", OTTO_2021)
OTTO_VP2_L = _param(_O, "vp2_l", 98.8, "L", OTTO_2021)
OTTO_Q2_L_PER_H = _param(_O, "q2_l_per_h", 157.0, "L/h", OTTO_2021)
# S-norketamine: supplementary NONMEM THETA(7)-(10) (Table 3 prints 98.6, 57.7, 160, 42.8)
OTTO_VC_SNK_L = _param(_O, "vc_snk_l_at_70kg", 98.638, "L at 70 kg", OTTO_2021)
OTTO_CL_SNK_L_PER_H = _param(_O, "cl_snk_l_per_h_at_70kg", 57.72, "L/h at 70 kg", OTTO_2021)
OTTO_VP_SNK_L = _param(_O, "vp_snk_l", 160.04, "L", OTTO_2021)
OTTO_Q_SNK_L_PER_H = _param(_O, "q_snk_l_per_h", 42.778, "L/h", OTTO_2021)
OTTO_WEIGHT_EXPONENT_CL = _param(_O, "weight_exponent_cl", 0.75, "allometric exponent", OTTO_2021)
# OMEGA BLOCK(2) per analyte, order V then CL (log-scale variances and covariance)
OTTO_OMEGA2_VC = _param(_O, "omega2_vc", 0.084177, "variance (log scale)", OTTO_2021)
OTTO_OMEGA_VC_CL = _param(_O, "omega_vc_cl", 0.02261, "covariance (log scale)", OTTO_2021)
OTTO_OMEGA2_CL = _param(_O, "omega2_cl", 0.026048, "variance (log scale)", OTTO_2021)
OTTO_OMEGA2_VC_SNK = _param(_O, "omega2_vc_snk", 0.040426, "variance (log scale)", OTTO_2021)
OTTO_OMEGA_VC_CL_SNK = _param(_O, "omega_vc_cl_snk", 0.04456, "covariance (log scale)", OTTO_2021)
OTTO_OMEGA2_CL_SNK = _param(_O, "omega2_cl_snk", 0.10319, "variance (log scale)", OTTO_2021)


def _build_otto(p: Mapping[str, np.ndarray], cov: Covariates) -> BuiltModel:
    # Only the central volumes and the elimination clearances are weight-scaled (exponent 1
    # and 0.75); peripheral volumes and Q are not, as in the paper's supplementary code.
    per_h = 1.0 / 60.0
    size = cov.weight_kg / 70.0
    vc = p["vc"] * size
    cl = p["cl"] * size**OTTO_WEIGHT_EXPONENT_CL
    vc_snk = p["vc_snk"] * size
    cl_snk = p["cl_snk"] * size**OTTO_WEIGHT_EXPONENT_CL
    n = cov.weight_kg.shape[0]
    a = np.zeros((n, 5, 5))

    def flow(src: int, dst: int, k: np.ndarray) -> None:
        a[:, src, src] -= k
        if dst >= 0:
            a[:, dst, src] += k

    # 0 S-ketamine central, 1-2 its peripherals, 3 S-norketamine central, 4 its peripheral.
    # All S-ketamine clearance forms S-norketamine (fraction metabolised 1, in S-ketamine
    # mass, as in the paper's $DES).
    flow(0, 3, cl / vc * per_h)
    flow(0, 1, p["q1"] / vc * per_h)
    flow(1, 0, p["q1"] / p["vp1"] * per_h)
    flow(0, 2, p["q2"] / vc * per_h)
    flow(2, 0, p["q2"] / p["vp2"] * per_h)
    flow(3, -1, cl_snk / vc_snk * per_h)
    flow(3, 4, p["q_snk"] / vc_snk * per_h)
    flow(4, 3, p["q_snk"] / p["vp_snk"] * per_h)
    system = LinearSystem(a, (0, 3), np.stack([vc, vc_snk], axis=1))
    return _iv_only(system)


MODELS: dict[str, PkModel] = {
    "clements_250": PkModel(
        code="clements_250",
        name="Clements 250 (racemic ketamine, 2-compartment)",
        drug="ketamine (racemic)",
        metabolite=None,
        source=CLEMENTS_250,
        population="adult volunteers, 250 microgram/kg IV bolus data (TCI parameter set)",
        routes=frozenset({Route.IV}),
        covariates=("weight_kg",),
        typical={
            "v1_l_per_kg": CLEMENTS_V1_L_PER_KG,
            "k10": CLEMENTS_K10_PER_MIN,
            "k12": CLEMENTS_K12_PER_MIN,
            "k21": CLEMENTS_K21_PER_MIN,
        },
        units={"v1_l_per_kg": "L/kg", "k10": "1/min", "k12": "1/min", "k21": "1/min"},
        build=_build_clements,
    ),
    "domino": PkModel(
        code="domino",
        name="Domino (racemic ketamine, 3-compartment)",
        drug="ketamine (racemic)",
        metabolite=None,
        source=DOMINO_1982,
        population="adult surgical patients (TCI parameter set)",
        routes=frozenset({Route.IV}),
        covariates=("weight_kg",),
        typical={
            "v1_l_per_kg": DOMINO_V1_L_PER_KG,
            "k10": DOMINO_K10_PER_MIN,
            "k12": DOMINO_K12_PER_MIN,
            "k13": DOMINO_K13_PER_MIN,
            "k21": DOMINO_K21_PER_MIN,
            "k31": DOMINO_K31_PER_MIN,
        },
        units={
            "v1_l_per_kg": "L/kg",
            "k10": "1/min",
            "k12": "1/min",
            "k13": "1/min",
            "k21": "1/min",
            "k31": "1/min",
        },
        build=_build_domino,
    ),
    "kamp_2020": PkModel(
        code="kamp_2020",
        name="Kamp 2020 meta-analysis (racemic ketamine, 1-compartment)",
        drug="ketamine (racemic)",
        metabolite=None,
        source=KAMP_2020,
        population=(
            "meta-analysis of 18 studies (11 healthy adults, 3 adult patients, 5 paediatric)"
        ),
        routes=frozenset({Route.IV}),
        covariates=("weight_kg",),
        typical={"v": KAMP_V_L_PER_70KG, "cl": KAMP_CL_L_PER_H_AT_70KG},
        units={"v": "L/70 kg", "cl": "L/h at 70 kg"},
        build=_build_kamp,
    ),
    "perez_ruixo_2021": PkModel(
        code="perez_ruixo_2021",
        name="Perez-Ruixo 2021 esketamine nasal spray with noresketamine",
        drug="esketamine",
        metabolite="noresketamine",
        source=PEREZ_RUIXO_2021,
        population=(
            "820 healthy subjects and patients with treatment-resistant depression, age 18-86 y "
            "(median 45), weight 39-170 kg; intranasal 14-112 mg, IV 28 mg, oral 84 mg"
        ),
        routes=frozenset({Route.IV, Route.INTRANASAL, Route.ORAL}),
        covariates=("age_years", "asian", "japanese"),
        typical={
            "frn": PR_FRN,
            "ka_n": PR_KA_N_PER_H,
            "ka_sw": PR_KA_SW_PER_H,
            "ka_po": PR_KA_PO_PER_H,
            "vc": PR_VC_L,
            "q1": PR_Q1_L_PER_H,
            "vp1": PR_VP1_L,
            "q2": PR_Q2_L_PER_H,
            "vp2": PR_VP2_L,
            "qh": PR_QH_L_PER_H,
            "qh_age_slope": PR_QH_AGE_SLOPE,
            "qh_eta": 1.0,
            "vh": PR_VH_L,
            "kel": PR_KEL_PER_H,
            "kmet": PR_KMET_PER_H,
            "vcn": PR_VCN_L,
            "cln": PR_CLN_L_PER_H,
            "vpn": PR_VPN_L,
            "q3": PR_Q3_L_PER_H,
        },
        units={
            "frn": "fraction",
            "ka_n": "1/h",
            "ka_sw": "1/h",
            "ka_po": "1/h",
            "vc": "L",
            "q1": "L/h",
            "vp1": "L",
            "q2": "L/h",
            "vp2": "L",
            "qh": "L/h",
            "qh_age_slope": "L/h per year over 60",
            "qh_eta": "multiplier (between-subject variability on Qh)",
            "vh": "L",
            "kel": "1/h",
            "kmet": "1/h",
            "vcn": "L",
            "cln": "L/h",
            "vpn": "L",
            "q3": "L/h",
        },
        omega2=PR_OMEGA2,
        build=_build_perez_ruixo,
    ),
    "otto_2021": PkModel(
        code="otto_2021",
        name="Otto 2021 / Fanta 2015 S-ketamine (IV) with S-norketamine",
        drug="esketamine",
        metabolite="noresketamine",
        source=OTTO_2021,
        population=(
            "S-ketamine: 11 healthy male volunteers, 0.125 mg/kg IV and 0.25 mg/kg oral "
            "(Fanta 2015); S-norketamine and variability: 48 healthy adults (23 female), "
            "10 mg over 30 min or 2-h stepped IV infusions, venous sampling (Otto 2021)"
        ),
        routes=frozenset({Route.IV}),
        covariates=("weight_kg",),
        typical={
            "vc": OTTO_VC_L,
            "cl": OTTO_CL_L_PER_H,
            "vp1": OTTO_VP1_L,
            "q1": OTTO_Q1_L_PER_H,
            "vp2": OTTO_VP2_L,
            "q2": OTTO_Q2_L_PER_H,
            "vc_snk": OTTO_VC_SNK_L,
            "cl_snk": OTTO_CL_SNK_L_PER_H,
            "vp_snk": OTTO_VP_SNK_L,
            "q_snk": OTTO_Q_SNK_L_PER_H,
        },
        units={
            "vc": "L at 70 kg",
            "cl": "L/h at 70 kg",
            "vp1": "L",
            "q1": "L/h",
            "vp2": "L",
            "q2": "L/h",
            "vc_snk": "L at 70 kg",
            "cl_snk": "L/h at 70 kg",
            "vp_snk": "L",
            "q_snk": "L/h",
        },
        omega_blocks=(
            (
                ("vc", "cl"),
                ((OTTO_OMEGA2_VC, OTTO_OMEGA_VC_CL), (OTTO_OMEGA_VC_CL, OTTO_OMEGA2_CL)),
            ),
            (
                ("vc_snk", "cl_snk"),
                (
                    (OTTO_OMEGA2_VC_SNK, OTTO_OMEGA_VC_CL_SNK),
                    (OTTO_OMEGA_VC_CL_SNK, OTTO_OMEGA2_CL_SNK),
                ),
            ),
        ),
        build=_build_otto,
    ),
}
