-- A received file's name that is not valid UTF-8 (a GBK name from a Windows share or a
-- zip): original_name holds it as shown (decoded as GB18030, or with � for what cannot
-- be decoded), and this column its raw bytes in hex. Null for every valid name.
alter table raw_files add column original_name_hex varchar;

-- When plantrack first saw each content at each inbox path: the receipt time of a file,
-- which its sender cannot set (unlike its mtime). A row per sighting of a content at a
-- path that held something else (or nothing) the last time plantrack looked; the same
-- bytes sent again later (under any name) are a new receipt, receipt_key telling it apart
-- (submission_id = file_hash || ':' || receipt_key; '' for a content's first receipt).
create table if not exists inbox_sightings (
    file_hash      varchar not null,
    source_path    varchar not null,
    first_seen_at  timestamp not null,  -- UTC, like raw_submissions.received_at
    receipt_key    varchar not null,
    recorded_at    timestamp not null,  -- when this row was written: the order of sightings
    primary key (source_path, first_seen_at, file_hash)
);
