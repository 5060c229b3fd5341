{#- Clean activities: every typed raw row the quarantine does not hold (built first, for the same
    load days, in the same run). One row per activity. -#}
{{ config(materialized='view') }}

with

typed as (
    select * from {{ ref('stg_raw__activities_typed') }}
),

rejected as (
    select loaded_date, source_row from {{ ref('stg_raw__activities_rejected') }}
),

clean as (
    select
        typed.activity_id,
        typed.customer_id,
        typed.activity,
        typed.amount,
        typed.quantity,
        {%- for name in declarations().activity_attributes %}
        typed.{{ name }},
        {%- endfor %}
        typed.loaded_date,
        typed.activity_at
    from typed
    anti join rejected
        on typed.loaded_date = rejected.loaded_date
        and typed.source_row = rejected.source_row
)

select * from clean
