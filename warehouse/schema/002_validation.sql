-- Validation results and what was accepted or quarantined, per run.

create table if not exists runs (
    run_id       varchar primary key,
    quarter      varchar not null,
    started_at   timestamp not null,
    finished_at  timestamp,
    state        varchar,                -- completed | completed_with_rejections | briefs_failed | failed
    message      varchar
);

-- Every issue found in a submission (one issue model: see plantrack/issues.py).
create table if not exists submission_issues (
    run_id        varchar not null,
    submission_id varchar not null,
    unit          varchar,
    code          varchar not null,
    severity      varchar not null,      -- error | warning
    file          varchar,
    sheet         varchar,
    cell          varchar,
    indicator_id  varchar,
    found         varchar,
    expected      varchar,
    message       varchar not null,
    hint          varchar
);

-- Great Expectations results: one row per run, submission and expectation.
create table if not exists expectation_results (
    run_id          varchar not null,
    submission_id   varchar not null,
    suite           varchar not null,
    expectation     varchar not null,
    column_name     varchar,
    success         boolean not null,
    unexpected_count integer
);

-- Values that passed validation, one row per submission and indicator.
create table if not exists accepted_values (
    run_id        varchar not null,
    submission_id varchar not null,
    unit          varchar not null,
    quarter       varchar not null,
    indicator_id  varchar not null,
    value         double not null,
    cell          varchar,
    note          varchar
);

-- Rows that were rejected, with every reason.
create table if not exists quarantine_rows (
    run_id        varchar not null,
    submission_id varchar not null,
    unit          varchar,
    quarter       varchar,
    indicator_id  varchar,
    row_number    integer,
    raw_value     varchar,
    reasons       varchar not null
);

-- Milestone progress as reported.
create table if not exists milestone_reports (
    run_id        varchar not null,
    submission_id varchar not null,
    unit          varchar not null,
    quarter       varchar not null,
    milestone_id  varchar not null,
    status        varchar,
    note          varchar,
    cell          varchar
);
