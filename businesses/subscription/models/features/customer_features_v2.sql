{#- Customer features as of a date, v2: one row per customer per as-of date on the feature spine.
    Changes from v1: `monthly_price` is the price in force at the as-of date (plan changes and
    price rises applied) instead of the signup price; adds `sessions_last_7d` and
    `engagement_trend_7d_vs_30d`. Released: logic is frozen (see feature_fingerprints.json). -#}
{%- set first_date = first_as_of_date_to_build() %}

with

spine as (
    select * from {{ ref('int_customer_dates_feature_spine') }}
    {% if first_date %}where as_of_date >= {{ first_date }}{% endif %}
),

customers as (
    select * from {{ ref('int_customer_lifetimes') }}
),

plan_changes as (
    select * from {{ ref('int_plan_changes') }}
),

activity_windows as (
    select * from {{ ref('int_customer_activity_windows') }}
    {% if first_date %}where as_of_date >= {{ first_date }}{% endif %}
),

plan_changes_before_as_of_date as (
    select
        spine.customer_id,
        spine.as_of_date,
        plan_changes.new_monthly_price,
        row_number() over (
            partition by spine.customer_id, spine.as_of_date
            {#- ties broken on the id as text, as when released (ids were text in the warehouse then) #}
            order by plan_changes.changed_at desc, cast(plan_changes.event_id as {{ dbt.type_string() }}) desc
        ) as recency_rank
    from spine
    inner join plan_changes
        on spine.customer_id = plan_changes.customer_id
        -- point in time: only price changes that happened before the as-of moment
        and plan_changes.changed_at < spine.as_of_date
),

current_prices as (
    select customer_id, as_of_date, new_monthly_price
    from plan_changes_before_as_of_date
    where recency_rank = 1
),

features as (
    select
        -- ids
        {{ published_customer_id('spine.customer_id') }} as customer_id,
        -- strings
        customers.plan,
        customers.region,
        customers.channel,
        -- numerics
        cast({{ dbt.datediff('customers.signup_at', 'spine.as_of_date', 'day') }} as integer)
            as tenure_days,
        cast(coalesce(current_prices.new_monthly_price, customers.monthly_price) as double)
            as monthly_price,
        cast(coalesce(activity_windows.events_last_7d, 0) as integer) as events_last_7d,
        cast(coalesce(activity_windows.events_last_30d, 0) as integer) as events_last_30d,
        cast(coalesce(activity_windows.events_last_90d, 0) as integer) as events_last_90d,
        cast(coalesce(activity_windows.logins_last_7d, 0) as integer) as logins_last_7d,
        cast(coalesce(activity_windows.logins_last_30d, 0) as integer) as logins_last_30d,
        cast(coalesce(activity_windows.sessions_last_7d, 0) as integer) as sessions_last_7d,
        cast(coalesce(activity_windows.sessions_last_30d, 0) as integer) as sessions_last_30d,
        cast(coalesce(activity_windows.session_seconds_last_30d, 0) / 60.0 as double)
            as session_minutes_last_30d,
        cast(coalesce(activity_windows.purchases_last_30d, 0) as integer) as purchases_last_30d,
        cast(coalesce(activity_windows.purchase_amount_last_30d, 0) as double)
            as purchase_amount_last_30d,
        cast(coalesce(activity_windows.support_tickets_last_30d, 0) as integer)
            as support_tickets_last_30d,
        cast(coalesce(activity_windows.failed_payments_last_90d, 0) as integer)
            as failed_payments_last_90d,
        cast(coalesce(activity_windows.active_days_last_30d, 0) as integer) as active_days_last_30d,
        cast({{ dbt.datediff('activity_windows.last_activity_date', 'spine.as_of_date', 'day') }}
            as integer) as days_since_last_event,
        {#- last week's events against the 30-day weekly average: < 1 means slowing down (in
            doubles: Spark's decimal division rounds 7.0 / 30.0 to six places) #}
        cast(
            activity_windows.events_last_7d
            / nullif(cast(activity_windows.events_last_30d as double) * 7 / 30, 0)
            as double
        ) as engagement_trend_7d_vs_30d,
        -- dates
        spine.as_of_date,
        -- timestamps
        activity_windows.last_event_at
    from spine
    inner join customers
        on spine.customer_id = customers.customer_id
    left join activity_windows
        on spine.customer_id = activity_windows.customer_id
        and spine.as_of_date = activity_windows.as_of_date
    left join current_prices
        on spine.customer_id = current_prices.customer_id
        and spine.as_of_date = current_prices.as_of_date
)

select * from features
