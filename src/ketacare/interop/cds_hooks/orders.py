"""``order-sign`` and ``order-select`` services for ketamine and esketamine MedicationRequests.

For each draft MedicationRequest whose medication is ketamine or esketamine (RxNorm, through
the terminology value sets) — for order-select only the ones in ``context.selections`` — the
service answers cards with their reasons and ``overrideReasons``:

- contraindication (critical): a label contraindication read from the prefetch (aneurysm/AVM,
  intracerebral haemorrhage, hypersensitivity), with a suggestion that removes the draft order;
- dose ceiling (``clinical.dosing.order_check``): above the ceiling, or not a device multiple
  for esketamine, with a suggestion that updates the order to the dose that fixes it; a dose
  above the standard mg/kg or a missing weight is a warning without a fix;
- consent (warning): no active Consent for the patient in the ``consents`` prefetch (or it
  could not be checked);
- REMS (esketamine): critical when the clinic is not REMS-certified; otherwise a warning to
  confirm the patient's REMS enrolment before an outpatient session (FHIR carries no standard
  REMS enrolment record);
- plus the terminology cards (unrecognised codes, conditions to review).

Suggestions are proposals the clinician accepts or not; nothing is written to the EHR here.
"""

from __future__ import annotations

import copy
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from ketacare.clinical.dosing.order_check import OrderedDrug, check_order_dose
from ketacare.clinical.gates import Finding
from ketacare.clinical.recommendations import Contraindication
from ketacare.clinical.terminology import LOINC, Concept, classify
from ketacare.interop.cds_hooks.cards import OVERRIDE_REASONS, _summary
from ketacare.interop.fhir.inbound import PrefetchReading

SIGN = "ketacare-ketamine-order-sign"
SELECT = "ketacare-ketamine-order-select"
HOOKS = {SIGN: "order-sign", SELECT: "order-select"}
ORDER_PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medications": "MedicationStatement?patient={{context.patientId}}",
    "allergies": "AllergyIntolerance?patient={{context.patientId}}",
    "consents": "Consent?patient={{context.patientId}}",
}
LABEL_URL = "https://www.usmedicine.com/2021online-dir/inc/html/30.html"  # S9 contraindications
REMS_URL = (
    "https://www.accessdata.fda.gov/scripts/cder/rems/index.cfm?event=IndvRemsDetails.page&REMS=386"
)
SOURCE_LABEL = "KetaCare order check"
_CI_TEXT = {
    Contraindication.ANEURYSMAL_VASCULAR_DISEASE_OR_AVM: "aneurysmal vascular disease or AVM",
    Contraindication.INTRACEREBRAL_HEMORRHAGE_HISTORY: "history of intracerebral haemorrhage",
    Contraindication.HYPERSENSITIVITY_TO_KETAMINE: "hypersensitivity to ketamine/esketamine",
}


def discovery() -> list[dict[str, Any]]:
    return [
        {
            "hook": hook,
            "id": service_id,
            "title": f"KetaCare ketamine/esketamine order check ({hook})",
            "description": (
                "Checks a draft ketamine or esketamine MedicationRequest for label "
                "contraindications, the dose ceiling, consent and REMS enrolment, with a "
                "suggestion that fixes the order where one exists."
            ),
            "prefetch": ORDER_PREFETCH,
        }
        for service_id, hook in HOOKS.items()
    ]


class OrderRequestInvalid(Exception):
    pass


def draft_orders(context: dict[str, Any], hook: str) -> list[dict[str, Any]]:
    """The ketamine/esketamine MedicationRequests the hook is about."""
    bundle = context.get("draftOrders")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise OrderRequestInvalid("context.draftOrders must be a FHIR Bundle.")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise OrderRequestInvalid("context.draftOrders.entry must be a list.")
    selections = context.get("selections")
    valid_selections = isinstance(selections, list) and all(isinstance(s, str) for s in selections)
    if hook == "order-select" and not valid_selections:
        raise OrderRequestInvalid("order-select needs context.selections (a list of ids).")
    out = []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") != "MedicationRequest":
            continue
        if hook == "order-select" and f"MedicationRequest/{resource.get('id')}" not in (
            selections or []
        ):
            continue
        if _drug(resource) is not None:
            out.append(resource)
    return out


def _drug(order: dict[str, Any]) -> OrderedDrug | None:
    concept = order.get("medicationCodeableConcept")
    codings = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(codings, list):
        return None
    pairs = [(c.get("system"), c.get("code")) for c in codings if isinstance(c, dict)]
    for entry in classify(pairs):
        if entry.concept is Concept.KETAMINE:
            return OrderedDrug(entry.qualifier("ingredient"))
    return None


def _dose_mg(order: dict[str, Any]) -> Decimal | None:
    try:
        quantity = order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
        if quantity.get("code", quantity.get("unit")) != "mg":
            return None
        return Decimal(str(quantity["value"]))
    except (KeyError, IndexError, TypeError, InvalidOperation):
        return None


def latest_weight_kg(prefetch: dict[str, Any]) -> Decimal | None:
    bundle = prefetch.get("observations") or {}
    best: tuple[str, Decimal] | None = None
    for entry in bundle.get("entry") or []:
        o = entry.get("resource") or {}
        codes = {(c.get("system"), c.get("code")) for c in (o.get("code") or {}).get("coding", [])}
        q = o.get("valueQuantity") or {}
        if (LOINC, "29463-7") in codes and q.get("code", q.get("unit")) == "kg":
            when = str(o.get("effectiveDateTime") or "")
            try:
                value = Decimal(str(q["value"]))
            except (KeyError, InvalidOperation):
                continue
            if best is None or when > best[0]:
                best = (when, value)
    return best[1] if best else None


def _active_consent(prefetch: dict[str, Any]) -> bool | None:
    bundle = prefetch.get("consents")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return None
    return any(
        (e.get("resource") or {}).get("resourceType") == "Consent"
        and (e.get("resource") or {}).get("status") == "active"
        for e in bundle.get("entry") or []
    )


def _card(summary: str, indicator: str, detail: str, url: str, codes: list[str], **more: Any):
    return {
        "uuid": str(uuid.uuid4()),
        "summary": _summary(summary),
        "indicator": indicator,
        "detail": detail,
        "source": {"label": SOURCE_LABEL, "url": url},
        "overrideReasons": OVERRIDE_REASONS,
        "extension": {"org.ketacare.order-check": {"codes": codes}},
        **more,
    }


def _suggestion(label: str, action: dict[str, Any]) -> dict[str, Any]:
    return {"label": label, "uuid": str(uuid.uuid4()), "isRecommended": True, "actions": [action]}


def _finding_detail(f: Finding) -> str:
    cite = f" ([{f.source.key}]({f.source.url}))" if f.source and f.source.url else ""
    return f"{f.message} `{f.code}`{cite}"


def order_cards(
    orders: list[dict[str, Any]],
    reading: PrefetchReading,
    prefetch: dict[str, Any],
    *,
    rems_certified: bool,
) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = []
    weight = latest_weight_kg(prefetch)
    contraindications = sorted(reading.input.eligibility.contraindications)
    consent = _active_consent(prefetch)
    for order in orders:
        drug = _drug(order)
        assert drug is not None
        ref = f"MedicationRequest/{order.get('id')}"
        name = drug.value
        if contraindications:
            reasons = "; ".join(_CI_TEXT[c] for c in contraindications)
            cards.append(
                _card(
                    f"Contraindicated: {name} ({reasons})",
                    "critical",
                    f"Label contraindication(s) for {name}: {reasons} (SPRAVATO label, applied "
                    "to racemic ketamine as the label analogue).",
                    LABEL_URL,
                    [c.value for c in contraindications],
                    suggestions=[
                        _suggestion(
                            f"Remove the draft {name} order",
                            {
                                "type": "delete",
                                "description": f"Remove the draft {name} order",
                                "resourceId": [ref],
                            },
                        )
                    ],
                    selectionBehavior="at-most-one",
                )
            )
        dose = _dose_mg(order)
        if dose is None:
            cards.append(
                _card(
                    f"{name.capitalize()} order has no dose in mg: the ceiling cannot be checked",
                    "warning",
                    "Give the dose as dosageInstruction[0].doseAndRate[0].doseQuantity in mg.",
                    LABEL_URL,
                    ["dose_missing"],
                )
            )
        else:
            for f in check_order_dose(drug, dose, weight):
                data = dict(f.data)
                fix = data.get("fix_dose_mg")
                more: dict[str, Any] = {}
                if fix is not None:
                    fixed = copy.deepcopy(order)
                    fixed["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = (
                        float(fix) if "." in fix else int(fix)
                    )
                    more = {
                        "suggestions": [
                            _suggestion(
                                f"Change the dose to {fix} mg",
                                {
                                    "type": "update",
                                    "description": f"Set the {name} dose to {fix} mg",
                                    "resource": fixed,
                                },
                            )
                        ],
                        "selectionBehavior": "at-most-one",
                    }
                cards.append(
                    _card(
                        f.message,
                        "critical" if f.code == "dose_above_ceiling" else "warning",
                        _finding_detail(f),
                        f.source.url if f.source and f.source.url else LABEL_URL,
                        [f.code],
                        **more,
                    )
                )
        if consent is not True:
            cards.append(
                _card(
                    "No active treatment consent on record"
                    if consent is False
                    else "Treatment consent could not be checked",
                    "warning",
                    f"Record the patient's informed consent for {name} before the session "
                    "(no active Consent was found in the patient's record).",
                    LABEL_URL,
                    ["consent_missing" if consent is False else "consent_unchecked"],
                )
            )
        if drug is OrderedDrug.ESKETAMINE:
            if not rems_certified:
                cards.append(
                    _card(
                        "This setting is not SPRAVATO REMS-certified",
                        "critical",
                        "Esketamine may only be given in a REMS-certified healthcare setting.",
                        REMS_URL,
                        ["rems_setting_not_certified"],
                    )
                )
            cards.append(
                _card(
                    "Confirm the patient's SPRAVATO REMS enrolment",
                    "warning",
                    "Outpatient settings must enrol the patient in the REMS before the first "
                    "treatment and submit a Patient Monitoring Form after each one (S4, S6). "
                    "KetaCare cannot see REMS enrolment in FHIR data: confirm it.",
                    REMS_URL,
                    ["rems_patient_enrolment_unconfirmed"],
                )
            )
    return cards
