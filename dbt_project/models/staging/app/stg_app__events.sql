{#- Clean events: every typed raw row the quarantine does not hold (built first, for the same
    load days, in the same run). One row per event. -#}
{{ config(materialized='view') }}

with

typed as (
    select * from {{ ref('stg_app__events_typed') }}
),

rejected as (
    select loaded_date, source_row from {{ ref('stg_app__events_rejected') }}
),

clean as (
    select
        typed.event_id,
        typed.customer_id,
        typed.event_type,
        typed.amount,
        typed.duration_seconds,
        typed.loaded_date,
        typed.event_at
    from typed
    anti join rejected
        on typed.loaded_date = rejected.loaded_date
        and typed.source_row = rejected.source_row
)

select * from clean
