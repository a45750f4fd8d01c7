"""docs/roles.md is the role x permission table of accounts/permissions.py, generated."""

from ketacare.accounts.models import Role
from ketacare.accounts.permissions import DESCRIPTIONS, ROLE_PERMISSIONS, ROLE_SUMMARIES, Permission
from ketacare.accounts.roles_doc import COMMAND, DEFAULT_PATH, render_roles_doc


def test_docs_roles_md_is_generated_from_the_permission_table():
    current = DEFAULT_PATH.read_text(encoding="utf-8") if DEFAULT_PATH.exists() else ""
    assert current == render_roles_doc(), (
        f"docs/roles.md differs from accounts/permissions.py: run `{COMMAND}` and commit it"
    )


def test_every_permission_and_role_is_described_and_every_role_is_in_the_table():
    assert set(DESCRIPTIONS) == set(Permission)
    assert set(ROLE_SUMMARIES) == set(Role)
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_front_desk_reads_demographics_and_status_never_clinical_content():
    held = ROLE_PERMISSIONS[Role.FRONT_DESK]
    assert Permission.VIEW_PATIENT in held
    assert Permission.CHECK_IN in held
    clinical_reads = {
        Permission.VIEW_CLINICAL_HISTORY,
        Permission.VIEW_MEASURES,
        Permission.VIEW_CARE_PLAN,
        Permission.VIEW_TREATMENT,
        Permission.ACKNOWLEDGE_ALERT,
        Permission.USE_CLINICAL_TOOLS,
    }
    assert held.isdisjoint(clinical_reads)


def test_therapist_reads_what_therapy_needs_but_not_the_treatment_record():
    held = ROLE_PERMISSIONS[Role.THERAPIST]
    assert {Permission.VIEW_MEASURES, Permission.VIEW_CARE_PLAN, Permission.MANAGE_PLAN} <= held
    assert held.isdisjoint(
        {
            Permission.VIEW_TREATMENT,
            Permission.ORDER_TREATMENT,
            Permission.OVERRIDE_CLINICAL_GATE,
            Permission.ADMINISTER_DOSE,
            Permission.MANAGE_INVENTORY,
            Permission.WITNESS_WASTE,
        }
    )


def test_researcher_and_patient_read_nothing_identified():
    identified = {p for p in Permission if p.value.startswith("view_")}
    assert ROLE_PERMISSIONS[Role.RESEARCHER].isdisjoint(identified)
    assert ROLE_PERMISSIONS[Role.PATIENT].isdisjoint(identified)


def test_the_command_writes_the_file_and_check_reports_a_stale_one(tmp_path):
    import pytest
    from django.core.management import call_command

    target = tmp_path / "roles.md"
    call_command("roles_doc", "--output", str(target))
    assert target.read_text(encoding="utf-8") == render_roles_doc()
    call_command("roles_doc", "--output", str(target), "--check")
    target.write_text("edited by hand\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        call_command("roles_doc", "--output", str(target), "--check")
    assert exc.value.code == 1
