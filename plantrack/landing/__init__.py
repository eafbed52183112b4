"""Archive received files unchanged and land what was read, with provenance.

The archive is content-addressed: a file's bytes are stored once under their
sha256, whatever it was called and however often it was sent. Landing the
same file twice changes nothing; a different file for the same unit and
quarter is a new receipt that supersedes the older one in the models
(``int_latest_submissions``), and ``int_submission_history`` shows every
receipt: which file, when it was received and what changed since the one before.

Every non-empty cell lands in ``raw_cells`` with the file hash, sheet, row,
column, cell address, raw text, kind and the number the reader read from it.

The modules, in the order a file meets them: ``archive`` (receiving and archiving
a file), ``receipts`` (when plantrack first saw it), ``raw`` (its receipt, file
and cells), ``verdicts`` (what validation found); ``inserts`` is the bulk insert
they share.
"""

from plantrack.landing.archive import CHUNK, Received, archive_file, receive, sha256_file
from plantrack.landing.inserts import insert_rows
from plantrack.landing.raw import (
    BATCH_FILES,
    FILE_SCHEMA,
    RAW_CELL_COLUMNS,
    RECEIPT_SCHEMA,
    Landing,
    land_raw,
    land_raw_many,
)
from plantrack.landing.receipts import arrival_time, stamp_receipts
from plantrack.landing.verdicts import load_validation, load_verdicts, record_unreadable

__all__ = [
    "BATCH_FILES",
    "CHUNK",
    "FILE_SCHEMA",
    "RAW_CELL_COLUMNS",
    "RECEIPT_SCHEMA",
    "Landing",
    "Received",
    "archive_file",
    "arrival_time",
    "insert_rows",
    "land_raw",
    "land_raw_many",
    "load_validation",
    "load_verdicts",
    "receive",
    "record_unreadable",
    "sha256_file",
    "stamp_receipts",
]
