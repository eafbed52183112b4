-- stg_runs: every quarterly run, as recorded.
-- Grain: one row per run_id.
create or replace view stg_runs as
with source as (
    select * from runs
),
final as (
    select
        run_id,
        quarter,
        started_at,
        finished_at,
        state,
        message
    from source
)
select * from final;
