{#- Every raw customer row (load days before the score date), typed, with the reason it is rejected
    (null when clean). One row per raw row. The clean and quarantine models both select from
    here, so a row lands in exactly one. Declared attributes (business.yml) are typed and checked
    here. -#}
{#- Incremental on load day: a night classifies the new day folder only (reading every folder
    and ranking all customers was the first second of a night's critical path). A row's verdict
    depends only on its own day and earlier ones (the first load of a customer id is the one
    kept), so earlier days never change. The table may hold days after a backfill's score date:
    readers filter on loaded_date. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **incremental_by_date('loaded_date')
    )
}}

{%- set attributes = declarations().customer_attributes %}

with

source as (
    select * from {{ source('raw', 'customers') }}
    where {{ raw_days_to_load('cast(day as date)') }}
),

{% if is_incremental() -%}
{#- ids loaded on earlier days, whatever their verdict: any earlier row of an id makes a new one
    a duplicate, as in the full ranking below #}
loaded_before as (
    select distinct customer_id
    from {{ this }}
    where loaded_date < (select min(cast(source.day as date)) from source)
),
{%- endif %}

typed as (
    select
        -- ids: raw type (integer or text; see published_customer_id)
        source.customer_id,
        -- declared attributes
        {{- typed_attributes(attributes, 'source') }}
        -- dates
        cast(source.day as date) as loaded_date,
        -- timestamps
        {{ dbt.safe_cast('source.first_seen_at', dbt.type_timestamp()) }} as first_seen_at,
        source.first_seen_at is null as is_first_seen_at_missing
    from source
),

classified as (
    select
        typed.*,
        case
            when typed.customer_id is null then 'missing_customer_id'
            when typed.is_first_seen_at_missing then 'missing_first_seen_at'
            when typed.first_seen_at is null then 'unparseable_first_seen_at'
            when typed.first_seen_at >= {{ dbt.dateadd('day', 1, 'typed.loaded_date') }}
                then 'first_seen_at_after_file_day'
            {{- attribute_reject_reasons(attributes, 'typed') }}
            {% if is_incremental() -%}
            when loaded_before.customer_id is not null then 'duplicate_customer_id'
            {% endif -%}
            when row_number() over (
                partition by typed.customer_id order by typed.loaded_date, typed.first_seen_at
            ) > 1 then 'duplicate_customer_id'
        end as reject_reason
    from typed
    {% if is_incremental() -%}
    left join loaded_before
        on typed.customer_id = loaded_before.customer_id
    {%- endif %}
)

select * from classified
