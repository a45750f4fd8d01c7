"""Every number and date a page accepts is read by a field that takes ASCII digits only
(ketacare.web.fields): Django's own fields would read '٨٠' as 80."""

import re
from pathlib import Path

import ketacare

SRC = Path(ketacare.__file__).parent
DJANGO_FIELD = re.compile(
    r"\bforms\.(IntegerField|DecimalField|FloatField|DateField|DateTimeField|TimeField"
    r"|SplitDateTimeField|DurationField)\b"
)


def test_no_form_uses_djangos_own_number_or_date_fields():
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        if path != SRC / "web" / "fields.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if DJANGO_FIELD.search(line)
    ]
    assert offenders == []
