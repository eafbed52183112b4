-- The rest of the catalog as tables, beside 003_catalog.sql: the milestones and the
-- status thresholds in force. Like the dim_* tables of 003 their rows are replaced from
-- the catalog and the settings on every load (plantrack/catalog_tables.py); the tables
-- themselves are created here once, so that every model can be built on a warehouse
-- that has never been loaded.

create table if not exists dim_milestone (
    milestone_id varchar primary key,
    section      integer,
    item         integer,
    subtask      integer,
    name         varchar not null,
    text         varchar,
    ordinal      integer
);

-- Which unit reports progress on which milestone.
create table if not exists dim_milestone_unit (
    milestone_id varchar,
    unit         varchar
);

-- One row: the thresholds of the status rules (see transforms/sql/int_progress_status.sql).
create table if not exists param_status (
    behind           double,   -- below behind × expected progress: 滞后
    severely_behind  double,   -- below severely_behind × expected progress: 严重滞后
    approx_tolerance double    -- 左右: within this share of the figure counts as reaching it
);
-- a warehouse loaded before approx_tolerance existed has the first two columns only
alter table param_status add column if not exists approx_tolerance double;
