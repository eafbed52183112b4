"""Outputs written to a temporary name beside their target and moved into place.

A reader (a clerk opening quality.html, the mailer attaching a PDF) never sees half
a file, and a write that fails part way (disk full, a kill) leaves the last good
file as it was instead of an empty one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write; moved onto ``target`` when the block ends
    without an exception, removed otherwise."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomically(target: Path, data: bytes) -> Path:
    with replacing(target) as tmp:
        tmp.write_bytes(data)
    return target


def write_text_atomically(target: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes_atomically(target, text.encode(encoding))
