{#- One row per customer per activity date per load day: counts, amounts and quantities of clean
    activities, per declared activity and in total. Incremental on the load day: a night
    aggregates only the new day folder, so its cost does not grow with history. Late activities
    (arriving in a later folder) add a row for their own activity date; readers sum rows, and
    count active days with is_new_active_day (earlier_activity_bits, set by the post-hook). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='loaded_date',
        on_schema_change='fail',
        post_hook="{{ mark_late_activity_days() }}",
    )
}}

{%- set vocabulary = declarations() %}

{#- One aggregation per load month (see union_by_load_month); each branch reads the view
    itself, since a CTE read by several branches would be materialized whole. #}
with

customer_days as (
    {%- call(in_month) union_by_load_month(ref('stg_raw__activities_typed')) %}
    {#- count(*) filter instead of sum(case ... 1 else 0): a plain count state per group, not a
        128-bit sum; a third less time over a year of events. #}
    select
        -- ids
        customer_id,
        -- numerics
        cast(count(*) as integer) as activity_count,
        cast(coalesce(sum(amount) filter (where activity in (
            {%- for name in vocabulary.activities if vocabulary.activities[name].revenue -%}
            '{{ name }}'{{ ', ' if not loop.last }}
            {%- else -%}null{%- endfor -%}
        )), 0) as {{ type_double() }}) as revenue,
        {%- for name, activity in vocabulary.activities.items() %}
        cast(count(*) filter (where activity = '{{ name }}') as integer) as {{ name }}_count,
        {%- if activity.carries_amount %}
        cast(coalesce(sum(amount) filter (where activity = '{{ name }}'), 0) as {{ type_double() }})
            as {{ name }}_amount,
        {%- endif %}
        {%- if activity.quantity %}
        cast(coalesce(sum(quantity) filter (where activity = '{{ name }}'), 0)
            as {{ type_double() }}) as {{ name }}_quantity,
        {%- endif %}
        {%- if activity.updates %}
        {#- the attribute it updates takes the day's latest amount (rows without one set nothing) #}
        {{ value_at_latest('amount', 'activity_at') }}
            filter (where activity = '{{ name }}' and amount is not null) as {{ name }}_last_amount,
        max(activity_at) filter (where activity = '{{ name }}' and amount is not null)
            as {{ name }}_last_at,
        {%- endif %}
        {%- if activity.ends_contract %}
        min(activity_at) filter (where activity = '{{ name }}') as {{ name }}_first_at,
        {%- endif %}
        {%- endfor %}
        {#- set for late rows by the post-hook (see mark_late_activity_days) #}
        cast(0 as integer) as earlier_activity_bits,
        -- dates
        cast(activity_at as date) as activity_date,
        loaded_date,
        -- timestamps
        max(activity_at) as last_activity_at
    from {{ ref('stg_raw__activities') }}
    where {{ raw_days_to_load('loaded_date') }}
        and {{ in_month }}
    group by customer_id, cast(activity_at as date), loaded_date
    {%- endcall %}
)

select * from customer_days
