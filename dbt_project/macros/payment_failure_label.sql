{#- The one definition of the payment-failure label, for any spine with (customer_id, as_of_date):
    the training spine, or the published score dates whose realized performance is measured.
    One row per spine row whose label window has fully passed; label = 1 when a payment fails
    in [as-of date, as-of date + horizon). -#}
{% macro payment_failure_label(spine) %}
{%- set horizon = var('payment_failure_horizon_days') %}

with

spine as (
    select customer_id, as_of_date from {{ spine }}
),

activity as (
    select * from {{ ref('int_events_aggregated_to_customer_days') }}
    where failed_payment_count > 0
),

failures_in_window as (
    select distinct
        spine.customer_id,
        spine.as_of_date
    from spine
    inner join activity
        on spine.customer_id = activity.customer_id
        and activity.activity_date >= spine.as_of_date
        and activity.activity_date < {{ dbt.dateadd('day', horizon, 'spine.as_of_date') }}
),

labelled as (
    select
        -- ids
        {{ published_customer_id('spine.customer_id') }} as customer_id,
        -- numerics
        cast(case when failures_in_window.customer_id is not null then 1 else 0 end as integer)
            as label,
        -- dates
        spine.as_of_date,
        cast({{ dbt.dateadd('day', horizon, 'spine.as_of_date') }} as date)
            as label_window_end_date
    from spine
    left join failures_in_window
        on spine.customer_id = failures_in_window.customer_id
        and spine.as_of_date = failures_in_window.as_of_date
    -- only as-of dates whose whole label window lies before the score date: no unripe labels
    where {{ dbt.dateadd('day', horizon, 'spine.as_of_date') }} <= {{ score_date() }}
)

select * from labelled
{% endmacro %}
