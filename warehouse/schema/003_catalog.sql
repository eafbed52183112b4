-- The catalog as tables, refreshed from expectations/ before models run.

create table if not exists dim_unit (
    unit    varchar primary key,
    name    varchar not null,
    office  varchar,
    kind    varchar,
    ordinal integer
);

create table if not exists dim_indicator (
    indicator_id varchar primary key,
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
    pacing       varchar not null
);

-- Which unit reports which indicator, with the unit's own target where allocated.
create table if not exists dim_indicator_unit (
    indicator_id varchar not null,
    unit         varchar not null,
    target       double,
    stretch      double
);

create table if not exists dim_pacing (
    pacing   varchar not null,
    quarter  integer not null,
    share    double not null
);

create table if not exists dim_baseline (
    indicator_id varchar not null,
    unit         varchar not null,
    value        double not null,
    year         integer not null
);
