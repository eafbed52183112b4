"""The submission fixtures are reproducible and each one is the subject of a reader test."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import zipfile
from pathlib import Path

from tests.conftest import FIXTURES

SUBMISSIONS = FIXTURES / "submissions"
SCRIPT = SUBMISSIONS / "make_fixtures.py"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _zip_members(data: bytes) -> tuple | None:
    """Members by name, time, CRC and size: what a workbook holds, whatever zlib compressed it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return tuple((i.filename, i.date_time, i.CRC, i.file_size) for i in archive.infolist())
    except zipfile.BadZipFile:
        return None


def _fingerprint(path: Path) -> object:
    data = path.read_bytes()
    if data.startswith(b"PK"):
        return _zip_members(data) or ("not a whole zip", data[:4])
    if data.startswith(OLE_MAGIC) and path.suffix == ".xlsx":  # the password-protected one
        from msoffcrypto.format.ooxml import OOXMLFile

        plain = io.BytesIO()
        office = OOXMLFile(io.BytesIO(data))
        office.load_key(password="1234")
        office.decrypt(plain)
        return ("encrypted", _zip_members(plain.getvalue()))
    return hashlib.sha256(data).hexdigest()


def _fixtures(folder: Path) -> dict[str, object]:
    return {p.name: _fingerprint(p) for p in sorted(folder.iterdir()) if p.is_file() and p.suffix != ".py"}


def test_regenerating_the_fixtures_gives_the_same_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_fixtures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    assert _fixtures(tmp_path) == _fixtures(SUBMISSIONS)


def test_every_fixture_is_read_by_a_test():
    tests = "".join(
        p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parent.glob("test_reader*.py"))
    )
    unused = [name for name in _fixtures(SUBMISSIONS) if f'"{name}"' not in tests]
    assert unused == []
