{#- The released v2 features' plan changes: one row per customer and day with a plan change, the
    day's latest new monthly price. A view over daily activity: v2 keeps the latest change
    before the as-of midnight, so a day's latest change is all it ever reads of that day. -#}
with

customer_days as (
    select * from {{ ref('int_activities_aggregated_to_customer_days') }}
    where plan_change_last_amount is not null
),

plan_changes as (
    select
        -- ids (v2 breaks ties between changes at one moment by event id; one per day has none)
        cast(null as bigint) as event_id,
        customer_id,
        -- numerics
        plan_change_last_amount as new_monthly_price,
        -- dates
        loaded_date,
        -- timestamps
        plan_change_last_at as changed_at
    from customer_days
)

select * from plan_changes
