{#- One row per customer per load day holding the business's contract-ending activity (none for a
    non-contractual business): when it first happened. Incremental on load day; int_customers
    keeps each customer's first. Read from daily activity, not the activity stream, so a full
    build does not scan the raw files again. -#}
{{
    config(
        materialized='incremental',
        **incremental_by_date('loaded_date')
    )
}}

{%- set ending = declarations().ending_activity %}

with

customer_days as (
    select * from {{ ref('int_activities_aggregated_to_customer_days') }}
    where {{ raw_days_to_load('loaded_date') }}
),

contract_ends as (
    select
        -- ids
        customer_id,
        -- dates
        loaded_date,
        -- timestamps
        {%- if ending %}
        min({{ ending }}_first_at) as ended_at
    from customer_days
    where {{ ending }}_first_at is not null
    group by customer_id, loaded_date
        {%- else %}
        cast(null as {{ dbt.type_timestamp() }}) as ended_at
    from customer_days
    where false
        {%- endif %}
)

select * from contract_ends
