-- Every plan's catalog in one warehouse: the dim_* tables are keyed by the plan's year, so
-- a 2022 load adds the 2022 plan beside the 2021 one and the models join each quarter to the
-- plan of its year (int_reporting_quarters.year). The tables are rebuilt with plan_year in
-- their keys; rows loaded before plans had years were all the one plan of the quarters run
-- then (a run outside the catalog's year was refused), so they take the year of those runs.
-- dim_plan holds what the briefs print about each plan (title, issuer, document number).

create table dim_plan (
    plan_year       integer primary key,
    title           varchar,
    issuer          varchar,
    document_number varchar
);

create temp table _old_plan_year as
select coalesce(max(cast(substr(quarter, 1, 4) as integer)), 0) as plan_year
from runs
where regexp_full_match(quarter, '[0-9]{4}Q[1-4]');

create temp table _old_dim_unit as select * from dim_unit;
drop table dim_unit;
create table dim_unit (
    plan_year integer not null,
    unit      varchar not null,
    name      varchar not null,
    office    varchar,
    kind      varchar,
    ordinal   integer,
    primary key (plan_year, unit)
);
insert into dim_unit
select p.plan_year, u.unit, u.name, u.office, u.kind, u.ordinal from _old_dim_unit as u, _old_plan_year as p;
drop table _old_dim_unit;

create temp table _old_dim_indicator as select * from dim_indicator;
drop table dim_indicator;
create table dim_indicator (
    plan_year    integer not null,
    indicator_id varchar not null,
    section      integer,
    item         integer,
    subtask      integer,
    name         varchar not null,
    text         varchar,
    unit_of_measure varchar,
    target       double not null,
    stretch      double,
    range_max    double,
    qualifier    varchar not null,
    cumulative   boolean not null,
    additive     boolean not null,
    pacing       varchar not null,
    continues    varchar,          -- last year's indicator this one carries on (same name and unit, or mapped)
    primary key (plan_year, indicator_id)
);
insert into dim_indicator
select p.plan_year, i.indicator_id, i.section, i.item, i.subtask, i.name, i.text, i.unit_of_measure,
       i.target, i.stretch, i.range_max, i.qualifier, i.cumulative, i.additive, i.pacing, null
from _old_dim_indicator as i, _old_plan_year as p;
drop table _old_dim_indicator;

create temp table _old_dim_indicator_unit as select * from dim_indicator_unit;
drop table dim_indicator_unit;
create table dim_indicator_unit (
    plan_year    integer not null,
    indicator_id varchar not null,
    unit         varchar not null,
    target       double,
    stretch      double
);
insert into dim_indicator_unit
select p.plan_year, iu.indicator_id, iu.unit, iu.target, iu.stretch
from _old_dim_indicator_unit as iu, _old_plan_year as p;
drop table _old_dim_indicator_unit;

create temp table _old_dim_pacing as select * from dim_pacing;
drop table dim_pacing;
create table dim_pacing (
    plan_year integer not null,
    pacing    varchar not null,
    quarter   integer not null,
    share     double not null
);
insert into dim_pacing
select p.plan_year, d.pacing, d.quarter, d.share from _old_dim_pacing as d, _old_plan_year as p;
drop table _old_dim_pacing;

-- year is the year of the level (the year-end before the plan's year); plan_year the plan
create temp table _old_dim_baseline as select * from dim_baseline;
drop table dim_baseline;
create table dim_baseline (
    plan_year    integer not null,
    indicator_id varchar not null,
    unit         varchar not null,
    value        double not null,
    year         integer not null
);
insert into dim_baseline
select p.plan_year, b.indicator_id, b.unit, b.value, b.year from _old_dim_baseline as b, _old_plan_year as p;
drop table _old_dim_baseline;

create temp table _old_dim_milestone as select * from dim_milestone;
drop table dim_milestone;
create table dim_milestone (
    plan_year    integer not null,
    milestone_id varchar not null,
    section      integer,
    item         integer,
    subtask      integer,
    name         varchar not null,
    text         varchar,
    ordinal      integer,
    primary key (plan_year, milestone_id)
);
insert into dim_milestone
select p.plan_year, m.milestone_id, m.section, m.item, m.subtask, m.name, m.text, m.ordinal
from _old_dim_milestone as m, _old_plan_year as p;
drop table _old_dim_milestone;

create temp table _old_dim_milestone_unit as select * from dim_milestone_unit;
drop table dim_milestone_unit;
create table dim_milestone_unit (
    plan_year    integer not null,
    milestone_id varchar,
    unit         varchar
);
insert into dim_milestone_unit
select p.plan_year, mu.milestone_id, mu.unit from _old_dim_milestone_unit as mu, _old_plan_year as p;
drop table _old_dim_milestone_unit;

drop table _old_plan_year;
