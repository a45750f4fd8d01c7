"""The in-app sources page: every source with its grade, the anchor each evidence line links
to, and the numbers that cite it (issue 16.5)."""

from ketacare.clinical.session.references import SPRAVATO_LABEL_BP_SUMMARY, SPRAVATO_REMS


def test_prescriber_sees_each_source_with_its_grade_and_the_numbers_citing_it(client, prescriber):
    client.force_login(prescriber)
    response = client.get("/sources/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="{SPRAVATO_REMS.anchor}"' in body
    assert "Grade: primary source" in body
    assert "ESKETAMINE_PREDOSE_SYSTOLIC_MAX_MMHG" in body
    assert "Grade: secondary source, not verified" in body


def test_the_evidence_link_of_the_bp_warning_lands_on_its_entry(client, nurse):
    client.force_login(nurse)
    body = client.get("/sources/").content.decode()
    path, anchor = SPRAVATO_LABEL_BP_SUMMARY.href.split("#")
    assert path == "/sources/"
    assert f'id="{anchor}"' in body


def test_a_patient_cannot_open_the_staff_sources_page(client, patient_user):
    client.force_login(patient_user)
    assert client.get("/sources/").status_code in (302, 403)
