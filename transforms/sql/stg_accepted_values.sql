-- stg_accepted_values: values that passed validation, as loaded.
-- Grain: one row per accepted data row (normally one per submission and indicator).
create or replace view stg_accepted_values as
with source as (
    select * from accepted_values
),
final as (
    select
        run_id,
        submission_id,
        unit,
        quarter,
        indicator_id,
        value as actual,
        cell as actual_cell,
        nullif(trim(note), '') as note
    from source
)
select * from final;
