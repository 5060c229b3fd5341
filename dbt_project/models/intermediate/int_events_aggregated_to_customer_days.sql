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

{#- One aggregation per load month (see union_by_load_month); each branch reads the view
    itself, since a CTE read by several branches would be materialized whole. -#}
with

customer_days as (
    {%- call(in_month) union_by_load_month(ref('stg_app__events_typed')) %}
    {#- count(*) filter instead of sum(case ... 1 else 0): a plain count state per group, not a
        128-bit sum; a third less time over a year of events. #}
    select
        -- ids
        customer_id,
        -- numerics
        cast(count(*) as integer) as event_count,
        cast(count(*) filter (where event_type = 'login') as integer) as login_count,
        cast(count(*) filter (where event_type = 'session') as integer) as session_count,
        cast(coalesce(sum(duration_seconds) filter (where event_type = 'session'), 0)
            as {{ type_double() }}) as session_seconds,
        cast(count(*) filter (where event_type = 'purchase') as integer) as purchase_count,
        cast(coalesce(sum(amount) filter (where event_type = 'purchase'), 0)
            as {{ type_double() }}) as purchase_amount,
        cast(count(*) filter (where event_type = 'support_ticket') as integer)
            as support_ticket_count,
        cast(count(*) filter (where event_type = 'payment_failed') as integer)
            as failed_payment_count,
        cast(count(*) filter (where event_type = 'plan_change') as integer) as plan_change_count,
        -- dates
        cast(event_at as date) as activity_date,
        loaded_date,
        -- timestamps
        max(event_at) as last_event_at
    from {{ ref('stg_app__events') }}
    where {{ raw_days_to_load('loaded_date') }}
        and {{ in_month }}
    group by customer_id, cast(event_at as date), loaded_date
    {%- endcall %}
)

select * from customer_days
