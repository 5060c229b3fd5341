{#- One row per (sampled) customer per past as-of date at which the customer was in the base.
    As-of dates lie on the specs' grids (training_as_of_dates), so they are stable from night to
    night; each spec's labels keep only their own grid and matured windows. -#}
{{
    config(
        materialized='incremental',
        **incremental_by_date('as_of_date')
    )
}}

{%- set first_date = first_as_of_date_to_build() %}

with

first_raw_day as (
    select min(loaded_date) as first_day from {{ ref('stg_raw__customers') }}
),

as_of_dates as (
    {{ training_as_of_dates('first_raw_day') }}
),

customers as (
    select * from {{ ref('int_customers') }}
),

active_customer_dates as (
    select
        customers.customer_id,
        as_of_dates.as_of_date
    from as_of_dates
    cross join customers
    where {{ is_active_at('customers', 'as_of_dates.as_of_date') }}
        {#- a stable hash sample keeps the training set a workable size at millions of customers #}
        {%- set sample_key = published_customer_id("customers.customer_id")
            ~ " || cast(as_of_dates.as_of_date as " ~ dbt.type_string() ~ ")" %}
        {#- buckets of 1/100 of a percent: 10M customers train on ~1M rows at 0.25% #}
        and {{ stable_bucket(sample_key, 10000) }}
            < {{ (env_var('SCORELINE_TRAINING_SAMPLE_PCT', '100') | float * 100) | round | int }}
        {% if first_date %}and as_of_dates.as_of_date >= {{ first_date }}{% endif %}
)

select * from active_customer_dates
