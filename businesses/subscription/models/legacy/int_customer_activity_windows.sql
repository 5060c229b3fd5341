{#- Activity window aggregates per (customer, as-of date) on the feature spine, computed once for
    every feature version: each version picks its columns from here instead of re-running the
    join of the spine with 90 days of activity (the most expensive step of a night).
    Feature logic: tagged `feature_logic`, so its SQL is part of every released version's
    fingerprint, and adding a window here for a new version asks for an explicit release. -#}
{{
    config(
        materialized='incremental',
        tags=['feature_logic'],
        **incremental_by_date('as_of_date')
    )
}}

{%- set first_date = first_as_of_date_to_build() %}
{%- set lookback = var('feature_lookback_days') %}

{#- Both CTEs are read by the two branches of customer_activity_windows: not materialized, so
    each branch's filters reach the scan instead of a copy of all activity being made first. #}
with

spine as {{ not_materialized() }} (
    select * from {{ ref('int_customer_dates_feature_spine') }}
    {% if first_date %}where as_of_date >= {{ first_date }}{% endif %}
),

activity as {{ not_materialized() }} (
    select * from {{ ref('int_events_aggregated_to_customer_days') }}
    {% if first_date -%}
    {#- a night reads only the lookback window, so its cost stays flat as history grows #}
    where activity_date >= {{ first_date }} - {{ lookback }}
    {%- endif %}
),

activity_windows as (
    {{ customer_activity_windows('spine', 'activity', [
        ('events_last_7d', 'event_count', 7),
        ('events_last_30d', 'event_count', 30),
        ('events_last_90d', 'event_count', 90),
        ('logins_last_7d', 'login_count', 7),
        ('logins_last_30d', 'login_count', 30),
        ('sessions_last_7d', 'session_count', 7),
        ('sessions_last_30d', 'session_count', 30),
        ('session_seconds_last_30d', 'session_seconds', 30),
        ('purchases_last_30d', 'purchase_count', 30),
        ('purchase_amount_last_30d', 'purchase_amount', 30),
        ('support_tickets_last_30d', 'support_ticket_count', 30),
        ('failed_payments_last_90d', 'failed_payment_count', 90),
    ], lookback, score_date()) }}
)

select * from activity_windows
