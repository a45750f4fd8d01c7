"""Every cited clinical constant is listed in docs/clinical-sources.md."""

import importlib
import pkgutil
import re
from pathlib import Path

import ketacare.clinical
from ketacare.clinical.sources import REGISTRY

DOC = Path(__file__).resolve().parents[2] / "docs" / "clinical-sources.md"


def _import_whole_core() -> None:
    for module in pkgutil.walk_packages(ketacare.clinical.__path__, "ketacare.clinical."):
        importlib.import_module(module.name)


def test_every_registered_clinical_constant_is_listed_with_its_source():
    _import_whole_core()
    listed = DOC.read_text(encoding="utf-8")
    missing = [name for name in REGISTRY if not re.search(rf"`{re.escape(name)}`", listed)]
    assert missing == [], f"add these constants to docs/clinical-sources.md: {missing}"


def test_every_registered_constant_names_a_source_with_a_citation():
    _import_whole_core()
    uncited = [c.name for c in REGISTRY.values() if not c.source.citation.strip()]
    assert uncited == []


def test_generated_registry_section_matches_the_code():
    from ketacare.sources_doc import current_section, render_registry

    section = current_section(DOC.read_text(encoding="utf-8"))
    assert section == render_registry(), (
        "docs/clinical-sources.md registry is out of date: python -m ketacare.sources_doc --write"
    )
