"""Forms of the evaluation pages: the screening answers and the prescriber's acknowledgment.

Every yes/no question is an explicit radio group with no answer chosen, because the core
treats an unanswered contraindication as unknown, never as "no". The form only parses what
was typed into ``ScreeningAnswers``; the rules (and range checks of the clinical values)
stay in the core, reached through the same service the API uses.
"""

from __future__ import annotations

from django import forms

from ketacare.clinical.eligibility import (
    CssrsRisk,
    CssrsScreen,
    HepaticImpairment,
    MaudsleySeverity,
    Route,
    SubstanceUseDisorder,
    SubstanceUseScreen,
)
from ketacare.clinical.plausibility import LIMITS, MAX_PLAUSIBLE_AGE_MONTHS
from ketacare.evaluation.mappers import ScreeningAnswers
from ketacare.web import fields

YES_NO = [("yes", "Yes"), ("no", "No")]
NOT_DONE = "not_done"
UNDECIDED = "undecided"
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

ROUTE_CHOICES = [
    (Route.INTRANASAL.value, "Intranasal esketamine"),
    (Route.IV.value, "Intravenous ketamine"),
    (Route.IM.value, "Intramuscular ketamine"),
    (Route.SC.value, "Subcutaneous ketamine"),
    (Route.ORAL.value, "Oral ketamine"),
    (UNDECIDED, "Not decided yet"),
]
SEVERITY_CHOICES = [
    (MaudsleySeverity.SUBSYNDROMAL.value, "Subsyndromal"),
    (MaudsleySeverity.MILD.value, "Mild"),
    (MaudsleySeverity.MODERATE.value, "Moderate"),
    (MaudsleySeverity.SEVERE_WITHOUT_PSYCHOSIS.value, "Severe without psychosis"),
    (MaudsleySeverity.SEVERE_WITH_PSYCHOSIS.value, "Severe with psychosis"),
]
SUD_CHOICES = [
    (SubstanceUseDisorder.NONE.value, "None"),
    (SubstanceUseDisorder.ACTIVE.value, "Active"),
    (SubstanceUseDisorder.IN_REMISSION.value, "In remission"),
]
HEPATIC_CHOICES = [
    (HepaticImpairment.NONE.value, "None"),
    (HepaticImpairment.MODERATE.value, "Moderate"),
    (HepaticImpairment.SEVERE.value, "Severe"),
]
CSSRS_CHOICES = [
    (CssrsRisk.LOW.value, "Low"),
    (CssrsRisk.MODERATE.value, "Moderate"),
    (CssrsRisk.HIGH.value, "High"),
    (NOT_DONE, "Not done"),
]


def _whole_mmhg(quantity: str) -> dict[str, int]:
    """Whole-mmHg bounds from the cited physiological limits (the core checks them too)."""
    limits = LIMITS[quantity]
    return {
        "min_value": int(limits.low) + (1 if limits.open_low else 0),
        "max_value": int(limits.high) - (1 if limits.open_high else 0),
    }


def _radio(label: str, choices, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, widget=forms.RadioSelect, help_text=help_text
    )


def _yes_no(label: str, help_text: str = "") -> forms.ChoiceField:
    return _radio(label, YES_NO, help_text)


# (section title, field names): the order the page asks the questions in.
SECTIONS = (
    ("Intended treatment and severity", ("route", "severity", "ect_used")),
    (
        "Contraindications (esketamine label)",
        (
            "aneurysmal_vascular_disease_or_avm",
            "intracerebral_hemorrhage_history",
            "hypersensitivity_to_ketamine_or_esketamine",
        ),
    ),
    (
        "Warnings and precautions",
        (
            "psychosis_history",
            "current_psychosis",
            "substance_use_disorder",
            "pregnant",
            "breastfeeding",
            "hepatic_impairment",
            "uncontrolled_hypertension",
            "hypertensive_encephalopathy_history",
        ),
    ),
    (
        "Interacting medicines",
        ("takes_cns_depressants", "takes_psychostimulants", "takes_maois"),
    ),
    ("C-SSRS screener", ("cssrs_risk", "cssrs_assessed_at")),
    (
        "Substance use screen",
        ("heavy_drinking_days_past_year", "drug_use_times_past_year", "screened_at"),
    ),
    ("Latest blood pressure", ("latest_systolic_mmhg", "latest_diastolic_mmhg")),
    ("Current episode", ("episode_duration_months",)),
)


class EvaluationForm(forms.Form):
    route = _radio("Intended route", ROUTE_CHOICES)
    severity = _radio(
        "Symptom severity at baseline",
        SEVERITY_CHOICES,
        "Maudsley Staging Method severity of the current episode.",
    )
    ect_used = _yes_no("ECT used in the current episode?")
    aneurysmal_vascular_disease_or_avm = _yes_no(
        "Aneurysmal vascular disease or arteriovenous malformation?",
        "Intracranial, thoracic or abdominal aorta, or peripheral arterial vessels.",
    )
    intracerebral_hemorrhage_history = _yes_no("History of intracerebral hemorrhage?")
    hypersensitivity_to_ketamine_or_esketamine = _yes_no(
        "Hypersensitivity to ketamine or esketamine?"
    )
    psychosis_history = _yes_no("History of psychosis?")
    current_psychosis = _yes_no("Current psychosis?")
    substance_use_disorder = _radio("Substance use disorder", SUD_CHOICES)
    pregnant = _yes_no("Pregnant?")
    breastfeeding = _yes_no("Breastfeeding?")
    hepatic_impairment = _radio("Hepatic impairment", HEPATIC_CHOICES)
    uncontrolled_hypertension = _yes_no("Uncontrolled hypertension?")
    hypertensive_encephalopathy_history = _yes_no("History of hypertensive encephalopathy?")
    takes_cns_depressants = _yes_no(
        "Takes CNS depressants?",
        "Benzodiazepines, sedative hypnotics, opioids. Medicines on record count even if "
        "answered no.",
    )
    takes_psychostimulants = _yes_no("Takes psychostimulants?")
    takes_maois = _yes_no("Takes monoamine oxidase inhibitors (MAOIs)?")
    cssrs_risk = _radio("C-SSRS screener risk", CSSRS_CHOICES)
    cssrs_assessed_at = fields.DateTimeField(
        label="C-SSRS screened at", required=False, widget=DATETIME_WIDGET
    )
    heavy_drinking_days_past_year = fields.IntegerField(
        label="Heavy drinking days in the past year",
        required=False,
        min_value=0,
        max_value=366,
        help_text="Days with 5 or more drinks (men) or 4 or more (women). Leave the three "
        "screen fields blank if the screen was not done.",
    )
    drug_use_times_past_year = fields.IntegerField(
        label="Times of illegal or non-medical drug use in the past year",
        required=False,
        min_value=0,
        max_value=100_000,
    )
    screened_at = fields.DateTimeField(
        label="Substance use screened at", required=False, widget=DATETIME_WIDGET
    )
    latest_systolic_mmhg = fields.IntegerField(
        label="Systolic (mmHg)", required=False, **_whole_mmhg("systolic_mmhg")
    )
    latest_diastolic_mmhg = fields.IntegerField(
        label="Diastolic (mmHg)", required=False, **_whole_mmhg("diastolic_mmhg")
    )
    episode_duration_months = fields.IntegerField(
        label="Current episode duration (months)",
        required=False,
        min_value=0,
        max_value=MAX_PLAUSIBLE_AGE_MONTHS,
        help_text="Only when no episode onset date is on the patient record.",
    )

    def __init__(self, *args, onset_recorded: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if onset_recorded:
            # The onset on record decides the duration; a typed one could only conflict.
            del self.fields["episode_duration_months"]

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        out = []
        for title, names in SECTIONS:
            bound = [self[name] for name in names if name in self.fields]
            if bound:
                out.append((title, bound))
        return out

    def unanswered(self) -> list[str]:
        """Labels of required questions with no answer yet (for the live preview)."""
        return [
            str(field.label)
            for name, field in self.fields.items()
            if field.required and not self.data.get(self.add_prefix(name))
        ]

    def clean(self):
        data = super().clean()
        if data.get("cssrs_risk") not in (None, NOT_DONE) and not data.get("cssrs_assessed_at"):
            self.add_error("cssrs_assessed_at", "Give when the C-SSRS screener was done.")
        if data.get("cssrs_risk") == NOT_DONE and data.get("cssrs_assessed_at"):
            self.add_error("cssrs_assessed_at", "Leave blank when the screener was not done.")
        screen = ("heavy_drinking_days_past_year", "drug_use_times_past_year", "screened_at")
        given = [name for name in screen if data.get(name) is not None]
        if given and len(given) < len(screen):
            for name in screen:
                if name not in given and name not in self.errors:
                    self.add_error(
                        name, "Answer both screen questions and the date, or leave all blank."
                    )
        bp = ("latest_systolic_mmhg", "latest_diastolic_mmhg")
        if (data.get(bp[0]) is None) != (data.get(bp[1]) is None):
            missing = bp[0] if data.get(bp[0]) is None else bp[1]
            if missing not in self.errors:
                self.add_error(missing, "Give both systolic and diastolic, or neither.")
        return data

    def answers(self) -> ScreeningAnswers:
        """The cleaned answers as the service's input (call after ``is_valid``)."""
        d = self.cleaned_data
        route = d["route"]
        cssrs = None
        if d["cssrs_risk"] != NOT_DONE:
            cssrs = CssrsScreen(risk=CssrsRisk(d["cssrs_risk"]), assessed_at=d["cssrs_assessed_at"])
        screen = None
        if d.get("screened_at") is not None:
            screen = SubstanceUseScreen(
                heavy_drinking_days_past_year=d["heavy_drinking_days_past_year"],
                drug_use_times_past_year=d["drug_use_times_past_year"],
                screened_at=d["screened_at"],
            )
        yes = {
            name: d[name] == "yes"
            for name, field in self.fields.items()
            if list(getattr(field, "choices", ())) == YES_NO
        }
        return ScreeningAnswers(
            route=None if route == UNDECIDED else Route(route),
            severity=MaudsleySeverity(d["severity"]),
            substance_use_disorder=SubstanceUseDisorder(d["substance_use_disorder"]),
            hepatic_impairment=HepaticImpairment(d["hepatic_impairment"]),
            cssrs=cssrs,
            substance_screen=screen,
            latest_systolic_mmhg=d.get("latest_systolic_mmhg"),
            latest_diastolic_mmhg=d.get("latest_diastolic_mmhg"),
            episode_duration_months=d.get("episode_duration_months"),
            **yes,
        )


class AcknowledgmentForm(forms.Form):
    codes = forms.MultipleChoiceField(
        label="Cautions acknowledged",
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to acknowledge every outstanding caution.",
        required=False,
    )
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why treatment may go ahead despite these cautions (recorded in the audit "
        "trail).",
    )

    def __init__(self, *args, cautions: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["codes"].choices = cautions
