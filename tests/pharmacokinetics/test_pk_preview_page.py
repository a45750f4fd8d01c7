"""The PK panel partial: proposed dose against the reference exposure, with a table."""

import pytest
from django.test import Client

from ketacare.audit.models import AuditEntry

URL = "/pk/preview/"
QUERY = {
    "model": "perez_ruixo_2021",
    "route": "intranasal",
    "dose_mg": "56",
    "duration_min": "0",
    "weight_kg": "80",
    "age_years": "50",
    "sex": "female",
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_panel_draws_both_curves_and_tabulates_cmax_tmax_auc(nurse):
    client = signed_in(nurse)
    before = AuditEntry.objects.count()
    response = client.get(URL, QUERY, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<polyline") == 2
    assert "Proposed" in html
    assert "Reference" in html
    assert "35.0 mg IV over 40 min (70 kg)" in html  # 0.5 mg/kg x 70 kg
    assert "Cmax (ng/mL)" in html
    assert "AUC 0–24 h" in html
    assert "ketacare/vendor/chartjs/chart.umd.min.js" in html  # local, never a CDN
    assert "cdn" not in html.lower()
    assert AuditEntry.objects.count() == before  # stateless: no patient data read


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"dose_mg": "-5"}, "invalid_dose"),
        ({"model": "kamp_2020"}, "route_not_supported"),
        ({"model": "nope"}, "unknown_pk_model"),
        ({"weight_kg": "abc"}, "invalid_input"),
        ({"sex": "x"}, "invalid_sex"),
    ],
)
def test_bad_preview_input_shows_the_same_code_as_the_api(nurse, change, code):
    response = signed_in(nurse).get(URL, {**QUERY, **change})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-code="{code}"' in html
    assert "<polyline" not in html


def test_front_desk_cannot_use_the_pk_panel(frontdesk):
    response = signed_in(frontdesk).get(URL, QUERY)
    assert response.status_code == 403
