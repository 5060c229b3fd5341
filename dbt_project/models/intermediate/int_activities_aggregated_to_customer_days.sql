{#- One row per customer per activity date per load day: counts, amounts and quantities of clean
    activities, in total and per declared activity that a feature or a label reads
    (declarations().needs; revenue is the revenue activities' amounts, see revenue_of). Incremental on the load day: a night
    aggregates only the new day folder, so its cost does not grow with history. Late activities
    (arriving in a later folder) add a row for their own activity date; readers sum rows, and
    count active days with is_new_active_day (earlier_activity_bits, set by the post-hook). -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        post_hook="{{ mark_late_activity_days() }}",
        **incremental_by_date('loaded_date')
    )
}}

{%- set vocabulary = declarations() %}
{%- set updating = vocabulary.activities.items() | selectattr('1.updates')
    | map(attribute='0') | list %}
{%- set ending = vocabulary.ending_activity %}

{#- One aggregation per load month (see union_by_load_month); each branch reads the view
    itself, since a CTE read by several branches would be materialized whole. #}
with

customer_days as (
    {%- call(in_month) union_by_load_month(ref('stg_raw__activities_typed')) %}
    select
        aggregated.*
        {%- for name in updating %},
        moments.{{ name }}_last_amount,
        moments.{{ name }}_last_at
        {%- endfor %}
        {%- if ending %},
        moments.{{ ending }}_first_at
        {%- endif %}
    from (
        {#- count(*) filter instead of sum(case ... 1 else 0): a plain count state per group,
            not a 128-bit sum; a third less time over a year of events. #}
        select
            -- ids
            customer_id,
            -- numerics
            cast(count(*) as integer) as activity_count,
            {%- for name, activity in vocabulary.activities.items() %}
            {#- a count when a feature or a label reads it (each costs a full build ~2 s) #}
            {%- if name in vocabulary.needs.counts %}
            cast(count(*) filter (where activity = '{{ name }}') as integer) as {{ name }}_count,
            {%- endif %}
            {#- revenue always; another amount when a declared feature reads it (each sum
                costs a full build ~2 s) #}
            {%- if activity.revenue or name in vocabulary.needs.amounts %}
            cast(coalesce(sum(amount) filter (where activity = '{{ name }}'), 0)
                as {{ type_double() }}) as {{ name }}_amount,
            {%- endif %}
            {%- if activity.quantity %}
            cast(coalesce(sum(quantity) filter (where activity = '{{ name }}'), 0)
                as {{ type_double() }}) as {{ name }}_quantity,
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
    ) as aggregated
    {%- if updating or ending %}
    {#- The moments of the rare activities that set an attribute or end a contract, aggregated
        apart over their rows only: as filtered aggregates of every customer-day they cost a
        full build 13 s (arg_max and timestamp states in 77M groups), this way 2.5 s. #}
    left join (
        select
            customer_id,
            cast(activity_at as date) as activity_date,
            loaded_date
            {%- for name in updating %},
            {#- the attribute it updates takes the day's latest amount (a row without one
                sets nothing) #}
            {{ value_at_latest('amount', 'activity_at') }}
                filter (where activity = '{{ name }}' and amount is not null) as {{ name }}_last_amount,
            max(activity_at) filter (where activity = '{{ name }}' and amount is not null)
                as {{ name }}_last_at
            {%- endfor %}
            {%- if ending %},
            min(activity_at) filter (where activity = '{{ ending }}') as {{ ending }}_first_at
            {%- endif %}
        from {{ ref('stg_raw__activities') }}
        where {{ raw_days_to_load('loaded_date') }}
            and {{ in_month }}
            and activity in ({% for name in updating + ([ending] if ending else []) %}'{{ name }}'{{ ', ' if not loop.last }}{% endfor %})
        group by customer_id, cast(activity_at as date), loaded_date
    ) as moments
        on aggregated.customer_id = moments.customer_id
        and aggregated.activity_date = moments.activity_date
        and aggregated.loaded_date = moments.loaded_date
    {%- endif %}
    {%- endcall %}
)

select * from customer_days
