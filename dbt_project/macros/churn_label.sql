{#- The one definition of the churn label, for any spine with (customer_id, as_of_date):
    the training spine, or the published score dates whose realized performance is measured.
    One row per spine row whose label window has fully passed; label = 1 when the customer cancels
    in [as-of date, as-of date + horizon). -#}
{% macro churn_label(spine) %}
{%- set horizon = var('churn_horizon_days') %}

with

spine as (
    select customer_id, as_of_date from {{ spine }}
),

customers as (
    select * from {{ ref('int_customer_lifetimes') }}
),

labelled as (
    select
        -- ids
        {{ published_customer_id('spine.customer_id') }} as customer_id,
        -- numerics
        cast(
            case
                when customers.cancelled_at >= spine.as_of_date
                    and customers.cancelled_at < {{ dbt.dateadd('day', horizon, 'spine.as_of_date') }}
                    then 1
                else 0
            end as integer
        ) as label,
        -- dates
        spine.as_of_date,
        cast({{ dbt.dateadd('day', horizon, 'spine.as_of_date') }} as date)
            as label_window_end_date
    from spine
    inner join customers
        on spine.customer_id = customers.customer_id
    -- only as-of dates whose whole label window lies before the score date: no unripe labels
    where {{ dbt.dateadd('day', horizon, 'spine.as_of_date') }} <= {{ score_date() }}
)

select * from labelled
{% endmacro %}
