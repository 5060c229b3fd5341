{#- One row per (sampled) customer per past as-of date at which the customer was active.
    As-of dates sit every `training_step_days` from the first raw day plus the minimum history,
    so they are stable from night to night; labels later keep only matured windows. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
    )
}}

{%- set first_date = first_as_of_date_to_build() %}

with

first_raw_day as (
    select min(loaded_date) as first_day from {{ ref('stg_app__customers') }}
),

as_of_dates as (
    {{ as_of_date_series(
        "(select " ~ dbt.dateadd('day', var('training_min_history_days'), 'first_day') ~ " from first_raw_day)",
        score_date(),
        var('training_step_days'),
    ) }}
),

customers as (
    select * from {{ ref('int_customer_lifetimes') }}
),

active_customer_dates as (
    select
        customers.customer_id,
        as_of_dates.as_of_date
    from as_of_dates
    cross join customers
    where {{ is_active_at('customers', 'as_of_dates.as_of_date') }}
        {#- a stable hash sample keeps the training set a workable size at millions of customers #}
        and {{ stable_bucket(published_customer_id("customers.customer_id") ~ " || cast(as_of_dates.as_of_date as varchar)", 100) }}
            < {{ env_var('SCORELINE_TRAINING_SAMPLE_PCT', '100') }}
        {% if first_date %}and as_of_dates.as_of_date >= {{ first_date }}{% endif %}
)

select * from active_customer_dates
