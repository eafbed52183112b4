-- Quarantined rows keep the codes of their reasons beside the Chinese text: `reasons` is
-- what the steward and the brief read (the messages, joined with '；'), `reason_codes`
-- the same errors' issue codes in the same order (see plantrack/issues/registry.py),
-- so that "which rows were left out for value_not_number" is a query, not a text search.
-- Rows quarantined before this migration have no codes (null).

alter table quarantine_rows add column reason_codes varchar[];
alter table quarantined_milestones add column reason_codes varchar[];
