"""Password policy after NIST SP 800-63B section 5.1.1.2: length, common and breached
passwords, context words; no composition rules."""

import pytest

from ketacare.accounts.models import Role, User
from ketacare.accounts.services import create_user
from ketacare.clinical.errors import InvalidClinicalInput


def _create(clinic, password, username="new_nurse"):
    return create_user(
        actor=None, clinic=clinic, username=username, password=password, role=Role.NURSE,
        first_name="Morgan", last_name="Hale",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("nine char", False),  # 9 characters: under our 10
        ("ten chars!", True),  # 10: at the minimum, no digit or capital needed
        ("a" * 3 + " river of slow light " + "z" * 40, True),  # long phrases welcome (>64)
        ("password123", False),  # in Django's list of common passwords
        ("iloveyou12", False),
        ("ketacare2024", False),  # the service's own name
        ("new_nurse_x", False),  # the username
        ("MorganHale", False),  # the user's name
        ("correct horse battery", True),
        ("çà et là, le café", True),  # Unicode accepted
    ],
)
def test_length_and_blocklists_decide_never_character_classes(clinic_a, password, accepted):
    if accepted:
        assert _create(clinic_a, password).check_password(password)
    else:
        with pytest.raises(InvalidClinicalInput) as err:
            _create(clinic_a, password)
        assert err.value.code == "weak_password"
        assert not User.objects.filter(username="new_nurse").exists()
