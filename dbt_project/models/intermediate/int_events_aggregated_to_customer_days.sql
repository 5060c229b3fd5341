{#- One row per customer per activity date per load day. Incremental on the load day: a night
    aggregates only the new day folder, so its cost does not grow with history. Late events
    (arriving in a later folder) add a row for their own activity date; features sum rows. -#}
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

customer_days as (
    select
        -- ids
        customer_id,
        -- numerics
        cast(count(*) as integer) as event_count,
        cast(sum(case when event_type = 'login' then 1 else 0 end) as integer) as login_count,
        cast(sum(case when event_type = 'session' then 1 else 0 end) as integer) as session_count,
        cast(coalesce(sum(case when event_type = 'session' then duration_seconds end), 0)
            as {{ type_double() }}) as session_seconds,
        cast(sum(case when event_type = 'purchase' then 1 else 0 end) as integer) as purchase_count,
        cast(coalesce(sum(case when event_type = 'purchase' then amount end), 0)
            as {{ type_double() }}) as purchase_amount,
        cast(sum(case when event_type = 'support_ticket' then 1 else 0 end) as integer)
            as support_ticket_count,
        cast(sum(case when event_type = 'payment_failed' then 1 else 0 end) as integer)
            as failed_payment_count,
        cast(sum(case when event_type = 'plan_change' then 1 else 0 end) as integer)
            as plan_change_count,
        -- dates
        cast(event_at as date) as activity_date,
        loaded_date,
        -- timestamps
        max(event_at) as last_event_at
    from events
    group by customer_id, cast(event_at as date), loaded_date
)

select * from customer_days
