"""Demo consent documents and signatures, written through the consent services.

Every route (iv, im, sc, intranasal) gets a version 1 published a year ago. IV gets a material
version 2 (three months ago: re-consent needed); intranasal gets a non-material wording fix
(four months ago: earlier consents stay valid). Most patients signed months ago; one consent is
withdrawn and one patient is still on the superseded IV version 1.

The consent text is KetaCare's own plain-language summary of the facts in
clinical-reference.md (SPRAVATO label and REMS; ketamine literature), not copied text. A clinic
must review and replace it with its own approved consent before use.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ketacare.consent.services import publish_consent_version, sign_consent, withdraw_consent

_COMMON_RISKS = """\
Common effects during and after a treatment session:
- Dissociation: feeling detached from your body or surroundings, changes in how things look or
  sound, or a dream-like state. It usually starts soon after the dose and fades within about
  two hours.
- Sedation and drowsiness; rarely, loss of consciousness. Staff check how alert you are and
  monitor your breathing (including pulse oximetry).
- A rise in blood pressure, usually largest in the first hour. We measure your blood pressure
  before treatment and during monitoring. We may delay or stop treatment if it is too high.
- Nausea, vomiting, dizziness, headache and feeling unsteady.
- Ketamine and esketamine are controlled substances (Schedule III) with a risk of abuse and
  misuse. Tell us about any past or present alcohol or drug use.
- Frequent, long-term use of ketamine has been linked to bladder problems. Tell us about pain
  or burning when you pass urine, or needing to go more often.

Safety rules:
- You will be observed at the clinic until a clinician decides you are ready to leave.
- Do not drive, ride a bike or operate machinery until the next day, after a restful night's
  sleep. Someone must take you home.
- Tell us about every medicine you take, especially sleeping tablets, benzodiazepines, opioids,
  stimulants and MAOI antidepressants; they can add to sedation or raise blood pressure.
- Tell us if you are pregnant, planning a pregnancy or breastfeeding.
- Thoughts of suicide can occur with depression. If you have them, tell us at once, or call or
  text 988, or call 911.

Your choices:
- Taking part is voluntary. You may ask questions at any time and you may withdraw your
  consent at any time, without affecting your other care.
- Other treatments for depression exist, including other medicines, psychotherapy, ECT and
  rTMS. Your prescriber has discussed them with you.
"""

_RACEMIC_NOTE = """\
Ketamine is approved as an anesthetic. Its use for depression is "off-label": the FDA has not
approved ketamine for depression, and the long-term benefits and risks of repeated treatment
are not well known.
"""

TEXTS = {
    "iv": (
        "Consent to intravenous (IV) ketamine treatment",
        "You will receive racemic ketamine through a small tube in a vein (an infusion), usually "
        "over about 40 minutes, with a dose based on your body weight.\n\n"
        + _RACEMIC_NOTE
        + "\n"
        + _COMMON_RISKS,
    ),
    "im": (
        "Consent to intramuscular (IM) ketamine treatment",
        "You will receive racemic ketamine as an injection into a muscle, with a dose based on "
        "your body weight.\n\n" + _RACEMIC_NOTE + "\n" + _COMMON_RISKS,
    ),
    "sc": (
        "Consent to subcutaneous (SC) ketamine treatment",
        "You will receive racemic ketamine as an injection under the skin, with a dose based on "
        "your body weight.\n\n" + _RACEMIC_NOTE + "\n" + _COMMON_RISKS,
    ),
    "intranasal": (
        "Consent to esketamine (SPRAVATO) nasal spray treatment",
        "You will use esketamine nasal spray yourself at the clinic, under the direct "
        "supervision of our staff. It is never given to take home. Each device holds two "
        "sprays, one per nostril; your dose may use two or three devices, with a 5-minute rest "
        "between devices. Do not eat for 2 hours or drink for 30 minutes before treatment.\n\n"
        "Esketamine is FDA-approved for treatment-resistant depression in adults and is given "
        "only in REMS-certified treatment centers. You will be enrolled in the SPRAVATO REMS, "
        "and you will be monitored for at least 2 hours after each dose.\n\n" + _COMMON_RISKS,
    ),
}

_IV_V2_ADDITION = (
    "\nChange in this version: we now also monitor your breathing with a pulse oximeter "
    "throughout monitoring, and a clinician reviews your blood pressure before you leave.\n"
)


def seed_demo(ctx) -> None:
    admin, nurse = ctx.users["admin"], ctx.users["nurse"]
    now = timezone.now()
    versions = {}
    for route, (title, body) in TEXTS.items():
        versions[(route, 1)] = publish_consent_version(
            actor=admin,
            route=route,
            title=title,
            body=body,
            effective_at=now - timedelta(days=365),
            material_change=False,
        )
    versions[("intranasal", 2)] = publish_consent_version(
        actor=admin,
        route="intranasal",
        title=TEXTS["intranasal"][0],
        body=TEXTS["intranasal"][1].replace("nasal spray yourself", "nasal spray yourself,"),
        effective_at=now - timedelta(days=120),
        material_change=False,  # a wording fix: earlier consents stay valid
    )
    versions[("iv", 2)] = publish_consent_version(
        actor=admin,
        route="iv",
        title=TEXTS["iv"][0],
        body=TEXTS["iv"][1] + _IV_V2_ADDITION,
        effective_at=now - timedelta(days=90),
        material_change=True,  # patients who signed version 1 must re-consent
    )

    plan = ("iv", "intranasal", "iv", "im", "intranasal", "sc")
    routes: dict[int, str] = {}
    signatures = {}
    signing = ctx.patients[: len(ctx.patients) - 4]  # most patients; four have not signed yet
    for index, patient in enumerate(signing):
        route = plan[index % len(plan)]
        routes[patient.pk] = route
        if index == 2:
            # Signed IV version 1 before the material change: needs re-consent.
            days_ago, number = 200, 1
        elif route == "iv":
            days_ago, number = ctx.rng.randint(40, 85), 2
        elif route == "intranasal" and index % 2:
            days_ago, number = ctx.rng.randint(150, 300), 1  # still valid (non-material v2)
        elif route == "intranasal":
            days_ago, number = ctx.rng.randint(30, 110), 2
        else:
            days_ago, number = ctx.rng.randint(60, 300), 1
        signatures[index] = sign_consent(
            actor=nurse,
            patient=patient,
            version=versions[(route, number)],
            typed_name=patient.display_name,
            signed_at=now - timedelta(days=days_ago, hours=ctx.rng.randint(0, 8)),
        )
    withdrawn = signatures[1]
    withdraw_consent(
        actor=nurse,
        signature=withdrawn,
        reason="Patient decided not to continue with treatment for now.",
        withdrawn_at=max(withdrawn.signed_at + timedelta(days=14), now - timedelta(days=20)),
    )
    ctx.extra["consent_routes"] = routes
