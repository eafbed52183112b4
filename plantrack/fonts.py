"""A CJK font for the briefs, pre-subset once so that each PDF renders fast and small.

WeasyPrint subsets whatever font it embeds. With HarfBuzz's subsetter that is
quick even from the 20 MB system Noto CJK collection; where WeasyPrint falls
back to fontTools (older HarfBuzz) it costs seconds per PDF, and either way
the embedded CID font of a 65,000-glyph collection is larger. So we subset it
once to GB2312 plus ASCII and punctuation (which covers every character of the
catalog and the templates: tested), cache the result in the per-machine font
cache (``~/.cache/plantrack/fonts``, or ``PLANTRACK_FONT_CACHE``), and list the
full system font after it in the stylesheet, so that a rare character in a
steward's note still renders (only that PDF pays for it).
``benchmarks/bench_render.py`` measures both paths. Without any CJK font,
rendering stops with a message saying how to install one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SUBSET_VERSION = "1"
FAMILY = "PlantrackCJK"
FALLBACK_FAMILY = "Noto Sans CJK SC"


class FontMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "No CJK font was found, so Chinese text cannot be rendered into the PDF.\n"
            "未找到中文字体，无法生成 PDF。请安装思源黑体（Noto Sans CJK）后重试：\n"
            "  sudo apt-get install fonts-noto-cjk      (Debian/Ubuntu)\n"
            "or run scripts/bootstrap, which installs it."
        )


@dataclass(frozen=True)
class FontFile:
    path: Path
    weight: int  # 400 or 700


def _fc_list(weight: str) -> list[tuple[str, int]]:
    if not shutil.which("fc-list"):
        return []
    out = subprocess.run(
        ["fc-list", f":lang=zh:style={weight}", "--format", "%{file}|%{family}|%{index}\n"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    found = []
    for line in out.splitlines():
        path, family, index = (line.split("|") + ["", "", "0"])[:3]
        rank = 0 if "Sans CJK SC" in family else 1 if "CJK SC" in family else 2
        found.append((rank, path, int(index.split(",")[0] or 0)))
    return [(p, i) for _, p, i in sorted(found)]


def find_system_cjk_font(weight: str = "Regular") -> tuple[Path, int]:
    """The best system CJK font for Simplified Chinese: (file, index in a collection)."""
    candidates = _fc_list(weight) or _fc_list("Regular")
    if not candidates:
        raise FontMissing()
    path, index = candidates[0]
    return Path(path), index


def _gb2312_chars() -> set[str]:
    chars = set()
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    for hi in range(0xA1, 0xAA):  # symbols, full-width forms, punctuation
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def subset_characters(extra_text: str = "") -> str:
    ascii_chars = {chr(c) for c in range(0x20, 0x7F)}
    extra = set("“”‘’—…·×÷≥≤±％（），。：；！？、《》〔〕【】〈〉①②③④⑤" + extra_text)
    return "".join(sorted(_gb2312_chars() | ascii_chars | extra))


def _subset(source: Path, index: int, chars: str, target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = ["*"]
    options.hinting = False
    font = TTFont(str(source), fontNumber=index, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    # A private temporary name: two processes building the same subset never mix their bytes.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.stem, suffix=".part")
    os.close(fd)
    subset.save_font(font, tmp, options)
    Path(tmp).replace(target)


def prepared_fonts(cache_dir: Path, extra_text: str = "") -> list[FontFile]:
    """Regular and bold subset fonts, built once per source font and character set.

    Building one takes about half a minute of fontTools on this machine's CPU, so
    ``scripts/bootstrap`` builds them (``python -m plantrack.fonts``), and when both
    are missing they are built side by side in two processes.
    """
    files, missing = [], []
    chars = subset_characters(extra_text)
    for weight, css_weight in (("Regular", 400), ("Bold", 700)):
        source, index = find_system_cjk_font(weight)
        key = hashlib.sha256(
            f"{SUBSET_VERSION}|{source}|{index}|{source.stat().st_size}|{chars}".encode()
        ).hexdigest()[:16]
        target = cache_dir / f"{FAMILY}-{css_weight}-{key}.otf"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            missing.append((source, index, chars, target))
        files.append(FontFile(target, css_weight))
    if len(missing) > 1 and (os.cpu_count() or 1) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        spawn = multiprocessing.get_context("spawn")  # nothing of this process inherited
        with ProcessPoolExecutor(len(missing), mp_context=spawn) as pool:
            for done in [pool.submit(_subset, *job) for job in missing]:
                done.result()
    else:
        for job in missing:
            _subset(*job)
    return files


def font_face_css(fonts: list[FontFile]) -> str:
    return "\n".join(
        f"@font-face {{ font-family: '{FAMILY}'; src: url('{f.path.as_uri()}'); "
        f"font-weight: {f.weight}; font-style: normal; }}"
        for f in fonts
    )


@lru_cache(maxsize=8)
def font_characters(path: Path, index: int = 0) -> frozenset[str]:
    """Every character the font at ``path`` has a glyph for."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=index, lazy=True)
    return frozenset(chr(c) for c in font.getBestCmap())


if __name__ == "__main__":  # scripts/bootstrap: build the machine's subsets once, ahead of any run
    from plantrack.settings import load_settings

    for font in prepared_fonts(load_settings().font_cache):
        print(font.path)
