{#- Customer features as of a date, v1: one row per customer per as-of date on the feature spine.
    Released: logic is frozen (see feature_fingerprints.json); change it in a new version. -#}
{%- set first_date = first_as_of_date_to_build() %}

with

spine as (
    select * from {{ ref('int_customer_dates_feature_spine') }}
    {% if first_date %}where as_of_date >= {{ first_date }}{% endif %}
),

customers as (
    select * from {{ ref('int_customer_lifetimes') }}
),

activity_windows as (
    select * from {{ ref('int_customer_activity_windows') }}
    {% if first_date %}where as_of_date >= {{ first_date }}{% endif %}
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
        cast(customers.monthly_price as double) as monthly_price,
        cast(coalesce(activity_windows.events_last_7d, 0) as integer) as events_last_7d,
        cast(coalesce(activity_windows.events_last_30d, 0) as integer) as events_last_30d,
        cast(coalesce(activity_windows.events_last_90d, 0) as integer) as events_last_90d,
        cast(coalesce(activity_windows.logins_last_7d, 0) as integer) as logins_last_7d,
        cast(coalesce(activity_windows.logins_last_30d, 0) as integer) as logins_last_30d,
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
)

select * from features
