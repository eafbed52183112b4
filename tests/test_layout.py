"""The layout stays readable: short modules, and the repository reads nothing outside itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("plantrack", "flows", "transforms", "warehouse")
MAX_LINES = 400  # past this a module is several modules: split it along its own sections


def _tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *patterns],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [REPO / line for line in out.splitlines() if (REPO / line).is_file()]


def test_no_first_party_module_is_longer_than_a_few_hundred_lines():
    long = {
        p.relative_to(REPO).as_posix(): n
        for p in _tracked(*(f"{f}/*.py" for f in FIRST_PARTY))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_file_reads_outside_the_repository():
    """A user's clone has nothing beside it: no path may climb out of the checkout."""
    climbing = re.compile(r"""\.\./shared|parents\[\d+\]\s*/\s*["']shared|parent\s*/\s*["']shared""")
    found = [
        p.relative_to(REPO).as_posix()
        for p in _tracked("*.py", "*.toml", "*.sh", "scripts/*", ".ci/*")
        if p.suffix != ".md" and climbing.search(p.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []
