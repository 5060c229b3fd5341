{#- Churn label: one row per training-spine (customer, as-of date) whose label window has fully
    passed. label = 1 when the customer cancels in [as-of date, as-of date + horizon). -#}
{%- set horizon = var('churn_horizon_days') %}

with

training_spine as (
    select * from {{ ref('int_customer_dates_training_spine') }}
),

customers as (
    select * from {{ ref('int_customer_lifetimes') }}
),

labelled as (
    select
        -- ids
        training_spine.customer_id,
        -- numerics
        cast(
            case
                when customers.cancelled_at >= training_spine.as_of_date
                    and customers.cancelled_at < {{ dbt.dateadd('day', horizon, 'training_spine.as_of_date') }}
                    then 1
                else 0
            end as integer
        ) as label,
        -- dates
        training_spine.as_of_date,
        cast({{ dbt.dateadd('day', horizon, 'training_spine.as_of_date') }} as date)
            as label_window_end_date
    from training_spine
    inner join customers
        on training_spine.customer_id = customers.customer_id
    -- only as-of dates whose whole label window lies before the score date: no unripe labels
    where {{ dbt.dateadd('day', horizon, 'training_spine.as_of_date') }} <= {{ score_date() }}
)

select * from labelled
