"""The whole run, from the command line, on an inbox a hostile or unlucky bureau filled:
a GBK file name, a link to a secret, a FIFO, a lock file, an emoji typed twice, a relative
--out. Every unit loads, nothing outside the inbox is archived, the outputs are complete,
and the run says what it left out."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from openpyxl import load_workbook

from plantrack.demo import make_demo_submissions
from plantrack.periods import Quarter
from tests.conftest import REPO

pytestmark = pytest.mark.flow
Q2 = Quarter(2021, 2)
SECRET = b"PLANTRACK_SMTP_PASSWORD=hunter2\n"


def test_a_hostile_inbox_runs_to_the_end(tmp_path, catalog):
    home = tmp_path / "home"
    inbox = tmp_path / "inbox"
    files, _ = make_demo_submissions(catalog, Q2, inbox)
    huancui = next(f for f in files if "huancui" in f.name)
    huancui.rename(inbox / os.fsdecode("环翠区_填报.xlsx".encode("gbk")))
    wendeng = next(f for f in files if "wendeng" in f.name)
    wb = load_workbook(wendeng)
    wb["填报"]["F5"] = "进展顺利👍👍，\u202e已超额完成"
    wb.save(wendeng)
    (tmp_path / "environ").write_bytes(SECRET)
    (inbox / "环翠区_补充.xlsx").symlink_to(tmp_path / "environ")
    os.mkfifo(inbox / "pipe.xlsx")
    (inbox / "~$乳山市.xlsx").write_bytes(b"lock")

    env = {**os.environ, "PLANTRACK_HOME": str(home)}
    proc = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "plantrack"),
            "run",
            "--quarter",
            "2021Q2",
            "--inbox",
            "inbox",
            "--out",
            "out",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "base_directory" not in proc.stderr
    assert "已拒绝：环翠区_补充.xlsx" in proc.stdout and "未读取：~$乳山市.xlsx" in proc.stdout

    out = tmp_path / "out"
    summary = json.loads(next(out.glob("run_*.json")).read_text(encoding="utf-8"))
    assert summary["files_received"] == 10 and summary["files_accepted"] >= 8
    assert {i["file"] for i in summary["files_ignored"]} == {"环翠区_补充.xlsx", "pipe.xlsx", "~$乳山市.xlsx"}
    assert len(list(out.glob("*.pdf"))) == 12 and (out / "data_docs" / "index.html").is_file()
    page = (out / "quality.html").read_text(encoding="utf-8")
    assert "环翠区_补充.xlsx" in page and "符号链接" in page and "\u202e" not in page
    for f in (home / "archive").rglob("*"):
        assert not f.is_file() or SECRET not in f.read_bytes()
