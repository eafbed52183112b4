-- Validation detail, beside 002_validation.sql: check results and rejected task rows.

-- Every check run on a submission, a Great Expectations expectation or a plantrack
-- rule in Python (history, several files): one row per run, submission and check,
-- with the issue code a failure becomes and its severity, so that data quality over
-- time is queryable by check ("how many units typed numbers as text, per quarter").
-- Grain: one row per (run_id, submission_id, suite, expectation, code).

create table if not exists check_results (
    run_id           varchar not null,
    submission_id    varchar not null,
    unit             varchar,
    quarter          varchar,
    suite            varchar not null,   -- submission_<unit> | milestones | plantrack
    expectation      varchar not null,   -- GX expectation type, or plantrack.<code>
    code             varchar not null,   -- issue code (see plantrack/validate.py CHECKS)
    severity         varchar not null,   -- error | warning
    column_name      varchar,
    success          boolean not null,
    element_count    integer,            -- rows checked
    unexpected_count integer             -- rows that failed
);

-- 重点任务 rows that were rejected (an invalid status, an unknown or repeated task id),
-- with every reason. Kept apart from quarantine_rows, whose rows are indicator figures.
-- Grain: one row per (run_id, submission_id, row_number).
create table if not exists quarantined_milestones (
    run_id        varchar not null,
    submission_id varchar not null,
    unit          varchar,
    quarter       varchar,
    milestone_id  varchar,
    row_number    integer,
    status        varchar,               -- as written
    reasons       varchar not null
);
