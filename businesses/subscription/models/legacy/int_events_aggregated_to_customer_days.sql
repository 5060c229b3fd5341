{#- The released v1/v2 features' daily activity, in their column names: a view over the generic
    int_activities_aggregated_to_customer_days. One row per customer per activity date per load
    day. Cancellations (an activity now) count in event_count, but only on or after the day a
    customer cancels, which no feature of a customer still in the base reads. The counts it
    renames are ones v3 reads too (declarations().needs.counts); a full build of every version
    (tests/dbt/test_point_in_time.py) would fail if one went. -#}
with

customer_days as (
    select * from {{ ref('int_activities_aggregated_to_customer_days') }}
),

legacy_names as (
    select
        -- ids
        customer_id,
        -- numerics
        activity_count as event_count,
        login_count,
        session_count,
        session_quantity as session_seconds,
        purchase_count,
        purchase_amount,
        support_ticket_count,
        payment_failed_count as failed_payment_count,
        {#- v1/v2 never read it, and nothing else counts plan changes any more #}
        cast(null as integer) as plan_change_count,
        -- dates
        activity_date,
        loaded_date,
        -- timestamps
        last_activity_at as last_event_at
    from customer_days
)

select * from legacy_names
