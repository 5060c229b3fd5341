{#- One row per plan change event: the customer's new monthly price from that moment.
    Kept apart from daily activity because price features look back over all history, and
    plan changes are a tiny share of events. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='loaded_date',
    )
}}

with

events as (
    select * from {{ ref('stg_app__events') }}
    where {{ raw_days_to_load('loaded_date') }}
),

plan_changes as (
    select
        -- ids
        event_id,
        customer_id,
        -- numerics
        amount as new_monthly_price,
        -- dates
        loaded_date,
        -- timestamps
        event_at as changed_at
    from events
    where event_type = 'plan_change'
        and amount is not null
)

select * from plan_changes
