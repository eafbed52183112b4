"""The progress bar: shown only on a terminal, and the flow's calls are harmless without it."""

from __future__ import annotations

import io

from plantrack import live


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_wanted_only_on_a_terminal():
    assert live.wanted(Terminal()) is True
    assert live.wanted(io.StringIO()) is False


def test_without_a_bar_the_stages_print_nothing(capsys):
    with live.showing(False):
        live.stage("收取与校验（文件）", total=3)
        live.advance(3)
        live.stage_done()
    assert capsys.readouterr() == ("", "")


def test_the_bar_shows_the_stage_and_the_files_done(capsys):
    with live.showing(True):
        live.stage("收取与校验（文件）", total=40)
        live.advance(25)
        live.stage("生成简报")
    err = capsys.readouterr().err
    assert "收取与校验（文件）" in err and "40/40" in err and "生成简报" in err
