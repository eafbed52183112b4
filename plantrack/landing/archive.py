"""Receiving a file: its hash, and its bytes archived once, content-addressed.

The archive stores a file's bytes once under their sha256, whatever it was called and
however often it was sent; a copy is written beside its place and renamed into it, so
the archive never holds half a file.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from plantrack.inbox import display_name

CHUNK = 1 << 20


@dataclass(frozen=True)
class Received:
    """A file as received: where it was, its hash and where the original is archived."""

    path: Path
    file_hash: str
    archived_path: Path
    size_bytes: int
    received_at: datetime
    receipt_key: str = ""  # set by ``stamp_receipts`` for a content received again

    @property
    def submission_id(self) -> str:
        return f"{self.file_hash}:{self.receipt_key}" if self.receipt_key else self.file_hash

    @property
    def name(self) -> str:
        """The file's name as text that can be stored and shown (a GBK name decoded)."""
        return display_name(self.path.name)

    @property
    def source(self) -> str:
        """Where it was received, as storable text (``name``'s decoding, for the whole path)."""
        return display_name(str(self.path))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_file(path: Path, archive_dir: Path, data: bytes | None = None) -> Received:
    """Copy ``path`` into the content-addressed archive (once) and describe the receipt.

    The bytes are hashed as they are copied, so the archived copy is exactly what
    the hash names even if the inbox file changes meanwhile; the copy is renamed
    into place only when complete. Pass ``data`` (the bytes already read, e.g. to
    hand the same bytes to the reader) to archive exactly those.
    """
    if data is not None:
        received = receive(path, archive_dir, data)
        if not received.archived_path.exists():
            write_atomically(received.archived_path, data)
        return received
    received_at = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    archive_dir.mkdir(parents=True, exist_ok=True)
    tmp = archive_dir / f".incoming-{uuid.uuid4().hex}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        target = _archived_path(archive_dir, digest.hexdigest(), path)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return Received(path, digest.hexdigest(), target, size, received_at)


def receive(path: Path, archive_dir: Path, data: bytes) -> Received:
    """The receipt of ``data`` (the bytes read from ``path``), not archived yet.

    Land it with ``Landing(..., data=data)``: ``land_raw_many`` archives the
    bytes (on its writer thread, beside the inserts) before landing any row of
    them, so the warehouse never names a file the archive does not hold.
    """
    received_at = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    file_hash = hashlib.sha256(data).hexdigest()
    return Received(path, file_hash, _archived_path(archive_dir, file_hash, path), len(data), received_at)


def _archived_path(archive_dir: Path, file_hash: str, path: Path) -> Path:
    suffix = path.suffix.lower() if path.suffix.isascii() else ""  # a path stored as text
    return archive_dir / file_hash[:2] / f"{file_hash}{suffix}"


def write_atomically(target: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader never sees half a file."""
    tmp = target.parent / f".incoming-{uuid.uuid4().hex}.part"
    try:
        try:
            tmp.write_bytes(data)
        except FileNotFoundError:  # the first file of this hash prefix
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
