"""Read a submission workbook into cells and staged rows, never executing anything.

The fast path is calamine (through fastexcel, as polars uses it): it reads the
cached values of formulas, never evaluates them, never runs macros and never
follows external links. Before calamine sees a file, its bytes are sniffed
and its sizes checked, so that a renamed PDF, an encrypted workbook or a zip
bomb is refused before anything is inflated. CSV files (UTF-8, UTF-8 with BOM,
GBK/GB18030, UTF-16) are read as the single sheet 填报.

Every non-empty cell is kept with its address, its kind (number, text, error
…), its raw text and the number read from it, so that any figure can be traced
back to the cell it came from.

The modules, in the order a file goes through them:

- ``guards``: sizes, zip limits, what the bytes are, a CSV's encoding;
- ``books``: one interface over calamine and CSV (``open_book``);
- ``formats``: formulas and percent formats calamine does not expose;
- ``grid``: one sheet as read;
- ``tables``: header rows and the table rows under them;
- ``identity``: whose submission, which quarter (``match_unit``);
- ``cells``: every cell with its provenance, as one frame for many files;
- ``submission``: ``read_submission`` and the ``Submission`` it returns;
- ``errors``: ``UnreadableFile``, the one error, and its codes.
"""

from plantrack.reader.cells import CELL_SCHEMA, SheetCells, cells_frame
from plantrack.reader.errors import UNREADABLE_CODES, UnreadableFile
from plantrack.reader.guards import DEFAULT_LIMITS, ReadLimits
from plantrack.reader.identity import Identity, match_unit
from plantrack.reader.submission import MILESTONE_SCHEMA, STAGED_SCHEMA, Submission, read_submission

__all__ = [
    "CELL_SCHEMA",
    "DEFAULT_LIMITS",
    "MILESTONE_SCHEMA",
    "STAGED_SCHEMA",
    "UNREADABLE_CODES",
    "Identity",
    "ReadLimits",
    "SheetCells",
    "Submission",
    "UnreadableFile",
    "cells_frame",
    "match_unit",
    "read_submission",
]
