{#- One row per raw table per load day: raw rows, clean rows, quarantined rows. Counted from
    three independent places, so raw = clean + rejected is a real check, not an identity. -#}
{{
    config(
        materialized='incremental',
        **incremental_by_date('loaded_date')
    )
}}

{#- Built after every raw-day loader, because it is their shared watermark. #}
-- depends_on: {{ ref('int_activities_aggregated_to_customer_days') }}
-- depends_on: {{ ref('int_contract_ends') }}

{%- set tables = ['customers', 'activities'] %}

with

{% for table in tables %}
raw_{{ table }} as (
    select cast(day as date) as loaded_date, count(*) as row_count
    from {{ source('raw', table) }}
    where {{ raw_days_to_load('cast(day as date)') }}
    group by 1
),

clean_{{ table }} as (
    select loaded_date, count(*) as row_count
    from {{ ref('stg_raw__' ~ table) }}
    where {{ raw_days_to_load('loaded_date') }}
    group by 1
),

rejected_{{ table }} as (
    select loaded_date, count(*) as row_count
    from {{ ref('stg_raw__' ~ table ~ '_rejected') }}
    where {{ raw_days_to_load('loaded_date') }}
    group by 1
),

reconciled_{{ table }} as (
    select
        '{{ table }}' as table_name,
        cast(raw_{{ table }}.row_count as bigint) as raw_rows,
        cast(coalesce(clean_{{ table }}.row_count, 0) as bigint) as clean_rows,
        cast(coalesce(rejected_{{ table }}.row_count, 0) as bigint) as rejected_rows,
        raw_{{ table }}.loaded_date
    from raw_{{ table }}
    left join clean_{{ table }}
        on raw_{{ table }}.loaded_date = clean_{{ table }}.loaded_date
    left join rejected_{{ table }}
        on raw_{{ table }}.loaded_date = rejected_{{ table }}.loaded_date
),

{% endfor %}
all_tables as (
    {% for table in tables %}
    select * from reconciled_{{ table }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from all_tables
