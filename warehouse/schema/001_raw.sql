-- Raw landing zone: every received file and every cell value, with provenance.
-- Nothing here is ever updated in place except a file's supersession marker.

-- One row per distinct file content (sha256). The original bytes are in the archive.
create table if not exists raw_files (
    file_hash      varchar primary key,   -- sha256 of the bytes, hex
    original_name  varchar not null,
    archived_path  varchar not null,
    size_bytes     bigint not null,
    first_seen_at  timestamp not null
);

-- One row per receipt of a file for a unit and quarter (a resubmission is a new row).
create table if not exists raw_submissions (
    submission_id  varchar primary key,   -- file_hash, or file_hash + ':' + receipt for re-receipts
    file_hash      varchar not null,
    unit           varchar,               -- null when it could not be identified
    quarter        varchar,               -- e.g. 2021Q2
    received_at    timestamp not null,
    source_path    varchar not null,
    identity_from  varchar,               -- workbook | header | filename
    readable       boolean not null,
    read_error     varchar                -- why the file could not be read (Chinese)
);

-- One row per non-empty cell of the data tables, as read.
create table if not exists raw_cells (
    file_hash     varchar not null,
    sheet         varchar not null,
    row_number    integer not null,      -- 1-based, as Excel shows it
    column_letter varchar not null,
    cell          varchar not null,      -- e.g. E12
    header        varchar,               -- the canonical column this cell belongs to, if any
    record_key    varchar,               -- indicator or milestone id of the row, if any
    raw_text      varchar,               -- the value as text, exactly as read
    parsed_value  double                 -- the number, where the cell is a number
);
