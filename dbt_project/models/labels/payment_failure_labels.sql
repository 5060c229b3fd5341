{#- Payment-failure label: one row per training-spine (customer, as-of date) whose label window
    has fully passed. label = 1 when a payment fails in [as-of date, as-of date + horizon). -#}
{%- set horizon = var('payment_failure_horizon_days') %}

with

training_spine as (
    select * from {{ ref('int_customer_dates_training_spine') }}
),

activity as (
    select * from {{ ref('int_events_aggregated_to_customer_days') }}
    where failed_payment_count > 0
),

failures_in_window as (
    select distinct
        training_spine.customer_id,
        training_spine.as_of_date
    from training_spine
    inner join activity
        on training_spine.customer_id = activity.customer_id
        and activity.activity_date >= training_spine.as_of_date
        and activity.activity_date < {{ dbt.dateadd('day', horizon, 'training_spine.as_of_date') }}
),

labelled as (
    select
        -- ids
        training_spine.customer_id,
        -- numerics
        cast(case when failures_in_window.customer_id is not null then 1 else 0 end as integer)
            as label,
        -- dates
        training_spine.as_of_date,
        cast({{ dbt.dateadd('day', horizon, 'training_spine.as_of_date') }} as date)
            as label_window_end_date
    from training_spine
    left join failures_in_window
        on training_spine.customer_id = failures_in_window.customer_id
        and training_spine.as_of_date = failures_in_window.as_of_date
    -- only as-of dates whose whole label window lies before the score date: no unripe labels
    where {{ dbt.dateadd('day', horizon, 'training_spine.as_of_date') }} <= {{ score_date() }}
)

select * from labelled
