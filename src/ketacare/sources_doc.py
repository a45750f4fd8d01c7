"""Generate the registry section of docs/clinical-sources.md from ``REGISTRY``.

``python -m ketacare.sources_doc --write`` rewrites the text between the two marker
lines; ``--check`` exits 1 when the file differs (tests/architecture runs the same check).
The hand-written sections around it explain choices; this section is the list of record:
every cited constant with its value, unit, source, grade and whether the source was verified.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import ketacare.clinical
from ketacare.clinical.sources import REGISTRY, Source

BEGIN = "<!-- BEGIN GENERATED REGISTRY: python -m ketacare.sources_doc --write -->"
END = "<!-- END GENERATED REGISTRY -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "clinical-sources.md"


# Modules outside the core that cite numbers (both framework-free).
_OTHER_CITING_MODULES = ("ketacare.analytics.suppression", "ketacare.research.deidentify")


def load_registry() -> None:
    """Import every core module (and the two others that cite) so every ``cited`` has run."""
    for module in pkgutil.walk_packages(ketacare.clinical.__path__, "ketacare.clinical."):
        importlib.import_module(module.name)
    for name in _OTHER_CITING_MODULES:
        importlib.import_module(name)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _value(value: object) -> str:
    if isinstance(value, tuple | list | frozenset | set):
        return ", ".join(str(v) for v in value)
    return str(value)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _source(source: Source) -> str:
    where = f", {source.locator}" if source.locator else ""
    return _cell(f"{source.key}: {source.citation}{where}")


def render_registry() -> str:
    load_registry()
    lines = [
        BEGIN,
        "",
        "Generated from the code; do not edit by hand. Grade = the kind of text the value was",
        "read in (primary: label, REMS document, regulation, original paper or manual;",
        "secondary: a summary or copy; consensus; heuristic: KetaCare's own; clinic: a clinic",
        "setting). Mandatory = the source's wording is must / must not / contraindicated.",
        "",
        "| Constant | Value | Unit | Grade | Verified | Mandatory | Source |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sorted(REGISTRY):
        c = REGISTRY[name]
        s = c.source
        lines.append(
            f"| `{name}` | {_cell(_value(c.value))} | {_cell(c.unit)} | "
            f"{s.grade.value if s.grade else 'UNGRADED'} | {_yes(s.verified)} | "
            f"{_yes(s.mandatory)} | {_source(s)} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def current_section(text: str) -> str | None:
    if BEGIN not in text or END not in text:
        return None
    start = text.index(BEGIN)
    return text[start : text.index(END, start) + len(END)]


def write(path: Path = DOC) -> bool:
    """Rewrite the generated section (appending it if missing); True if the file changed."""
    text = path.read_text(encoding="utf-8")
    new = render_registry()
    old = current_section(text)
    updated = text.replace(old, new) if old is not None else text.rstrip("\n") + "\n\n" + new + "\n"
    if updated != text:
        path.write_text(updated, encoding="utf-8")
        return True
    return False


def main(argv: list[str]) -> int:
    if "--write" in argv:
        write()
        return 0
    text = DOC.read_text(encoding="utf-8")
    if current_section(text) != render_registry():
        print("docs/clinical-sources.md is out of date: run --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
