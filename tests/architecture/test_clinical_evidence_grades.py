"""Every clinical number is graded, and no rule is stronger than its evidence (issue 16.1-16.2).

- every ``cited(...)`` constant has a source with a grade; a primary source names its page,
  section or table;
- every module-level ``Source`` in ketacare is graded;
- a finding that cannot be overridden (a hard block) rests on a source that can justify a
  block: a verified primary text whose wording is mandatory, or a limit the clinic set.
  The check reads the code (every ``Finding(...)`` in ``ketacare.clinical``), so a new hard
  block on a secondary copy, a heuristic or a ``verified=False`` fact fails here.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import ketacare
import ketacare.clinical
from ketacare.clinical.sources import REGISTRY, Grade, Source

CORE = Path(ketacare.clinical.__file__).parent


def _import_all(package) -> list:
    modules = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        try:
            modules.append(importlib.import_module(info.name))
        except Exception:  # Django apps that need settings are imported by the test run anyway
            continue
    return modules


def test_every_clinical_number_has_a_graded_source():
    _import_all(ketacare.clinical)
    ungraded = [c.name for c in REGISTRY.values() if c.source.grade is None]
    assert ungraded == [], f"grade the sources of: {ungraded}"


def test_every_primary_source_names_its_page_section_or_table():
    _import_all(ketacare.clinical)
    missing = sorted(
        {c.source.key for c in REGISTRY.values() if c.source.grade is Grade.PRIMARY}
        - {c.source.key for c in REGISTRY.values() if c.source.locator}
    )
    assert missing == []


def test_every_module_level_source_in_ketacare_is_graded():
    ungraded = []
    for module in _import_all(ketacare):
        for name, value in vars(module).items():
            if isinstance(value, Source) and value.grade is None:
                ungraded.append(f"{module.__name__}.{name}")
    assert ungraded == []


def _module_sources(path: Path) -> dict[str, Source]:
    name = "ketacare." + ".".join(path.relative_to(CORE.parent).with_suffix("").parts)
    name = name.removesuffix(".__init__")
    module = importlib.import_module(name)
    return {k: v for k, v in vars(module).items() if isinstance(v, Source)}


def _names(node: ast.AST) -> list[str]:
    """Source names a ``source=`` expression can evaluate to (Name, or the arms of an IfExp)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.IfExp):
        return _names(node.body) + _names(node.orelse)
    return []


def _hard_block_sources() -> list[tuple[str, int, str, Source]]:
    found = []
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        sources = None
        # A Finding appended to an ``...acknowledgments`` list is an acknowledgment-warning
        # (GateDecision.acknowledgments): acknowledged with a reason, never a block.
        acknowledged = {
            id(arg)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "append"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id.endswith("acknowledgments")
            for arg in node.args
        }
        for node in ast.walk(tree):
            if (
                not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "Finding"
                )
                or id(node) in acknowledged
            ):
                continue
            kwargs = {k.arg: k.value for k in node.keywords}
            overridable = kwargs.get("overridable")
            if not (isinstance(overridable, ast.Constant) and overridable.value is False):
                continue
            source = kwargs.get("source")
            if source is None:
                continue
            sources = sources if sources is not None else _module_sources(path)
            for name in _names(source):
                if name in sources:
                    found.append((str(path.relative_to(CORE)), node.lineno, name, sources[name]))
    return found


def test_hard_blocks_rest_on_primary_mandatory_verified_sources():
    blocks = _hard_block_sources()
    assert blocks, "the scan found no hard blocks; the test itself is broken"
    weak = [
        f"{path}:{line} {name} ({src.grade_label})"
        for path, line, name, src in blocks
        if not src.can_justify_block
    ]
    assert weak == [], (
        "a non-overridable block needs a verified primary source that says must/must not "
        f"(or a clinic-set limit); make these warnings or overridable: {weak}"
    )


def test_an_unverified_fact_cannot_justify_a_block():
    unverified = Source(
        key="t", citation="t", locator="p. 1", grade=Grade.PRIMARY, mandatory=True, verified=False
    )
    guide = Source(key="t", citation="t", locator="p. 1", grade=Grade.PRIMARY)
    secondary = Source(key="t", citation="t", grade=Grade.SECONDARY, mandatory=True)
    heuristic = Source(key="t", citation="t", grade=Grade.HEURISTIC)
    label = Source(key="t", citation="t", locator="s. 2", grade=Grade.PRIMARY, mandatory=True)
    assert [s.can_justify_block for s in (unverified, guide, secondary, heuristic, label)] == [
        False,
        False,
        False,
        False,
        True,
    ]
