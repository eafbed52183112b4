"""Outputs are written under a temporary name and moved into place, never in place: a disk
that fills up half way keeps the last good quality page, run summary, brief HTML."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from plantrack import quality
from plantrack.atomic import write_text_atomically


def _disk_full_after(monkeypatch, n_bytes: int) -> None:
    real = Path.write_bytes

    def half_then_full(self, data):
        real(self, data[:n_bytes])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_full)


def test_a_failed_write_keeps_the_last_good_file_and_leaves_no_part(tmp_path, monkeypatch):
    target = tmp_path / "out" / "quality.html"
    write_text_atomically(target, "<p>上次的页面</p>")
    _disk_full_after(monkeypatch, 3)
    with pytest.raises(OSError, match="No space"):
        write_text_atomically(target, "<p>新的页面</p>" * 100)
    assert target.read_text(encoding="utf-8") == "<p>上次的页面</p>"
    assert [p.name for p in target.parent.iterdir()] == ["quality.html"]


def test_the_quality_page_is_moved_into_place(tmp_path, monkeypatch):
    target = tmp_path / "quality.html"
    monkeypatch.setattr(quality, "render_quality_page", lambda report: "<p>第一版\u202e反转</p>")
    quality.write_quality_page(None, target)
    assert target.read_text(encoding="utf-8") == "<p>第一版反转</p>"  # no bidi control either
    monkeypatch.setattr(quality, "render_quality_page", lambda report: "<p>第二版</p>")
    _disk_full_after(monkeypatch, 0)
    with pytest.raises(OSError):
        quality.write_quality_page(None, target)
    assert target.read_text(encoding="utf-8") == "<p>第一版反转</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quality.html"]
