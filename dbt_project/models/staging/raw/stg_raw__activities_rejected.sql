{#- Quarantined activity rows with the reason, for the load days of this run: one row per rejected
    raw row. Every raw row is classified here and only here; clean activities are the typed rows
    this table does not hold. Incremental on load day, so a night classifies one new day folder. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **incremental_by_date('loaded_date')
    )
}}

{%- set vocabulary = declarations() %}

with

{#- A customer counts as known from the day its row was loaded, so a night and a full rebuild of
    the same days give every row the same verdict. #}
customers as (
    select customer_id, first_seen_at, loaded_date from {{ ref('stg_raw__customers') }}
),

{#- Classified one load month at a time (union_by_load_month): every check reads one row, its
    customer or the other rows of its own load day, so a month's sort stays in memory. #}
rejected as (
    {%- call(in_month) union_by_load_month(ref('stg_raw__activities_typed')) %}
    select * from (
        with

        typed as (
            select * from {{ ref('stg_raw__activities_typed') }}
            where {{ raw_days_to_load('loaded_date') }}
                and {{ in_month }}
        ),

        {#- Duplicates in two steps, so the 100M-row sort has one key: rows sorted by id alone
            find the ids sent more than once in a day (a row equal to its neighbour), and only
            the copies of those ids are ranked by activity_at then file order (the earliest copy
            is clean). Sorting every row by (id, activity_at, file row) took twice as long. Only
            key columns go through the sort, and it reads the view itself, not the `typed` CTE:
            a CTE read twice is materialized, every typed column of every row. #}
        copies as (
            select loaded_date, activity_id, activity_at, source_row
            from (
                select
                    loaded_date,
                    activity_id,
                    activity_at,
                    source_row,
                    lag(activity_id) over same_day_by_id as previous_id,
                    lead(activity_id) over same_day_by_id as next_id
                from {{ ref('stg_raw__activities_typed') }}
                where {{ raw_days_to_load('loaded_date') }}
                    and {{ in_month }}
                window same_day_by_id as (partition by loaded_date order by activity_id)
            ) as neighbours
            where activity_id = previous_id or activity_id = next_id
        ),

        later_copies as (
            select loaded_date, source_row
            from (
                select
                    loaded_date,
                    source_row,
                    row_number() over (
                        partition by loaded_date, activity_id order by activity_at, source_row
                    ) as copy_number
                from copies
            ) as ranked
            where copy_number > 1
        ),

        classified as (
            select
                typed.*,
                case
                    when typed.activity_id is null then 'missing_activity_id'
                    when typed.customer_id is null then 'missing_customer_id'
                    when typed.is_activity_at_missing then 'missing_activity_at'
                    when typed.activity_at is null then 'unparseable_activity_at'
                    when typed.activity_at >= {{ dbt.dateadd('day', 1, 'typed.loaded_date') }}
                        then 'activity_at_after_file_day'
                    when typed.activity is null
                        or typed.activity not in (
                            {%- for name in vocabulary.activities -%}
                            '{{ name }}'{{ ', ' if not loop.last }}
                            {%- else %}null{% endfor -%}
                        ) then 'undeclared_activity'
                    when typed.amount < 0 or not {{ is_finite('typed.amount') }}
                        then 'invalid_amount'
                    when typed.quantity < 0 or not {{ is_finite('typed.quantity') }}
                        then 'invalid_quantity'
                    {{- attribute_reject_reasons(vocabulary.activity_attributes, 'typed') }}
                    when customers.customer_id is null then 'unknown_customer'
                    {#- day granularity: the first-seen time may fall later on the same day #}
                    when cast(typed.activity_at as date) < cast(customers.first_seen_at as date)
                        then 'activity_before_first_seen'
                    when later_copies.source_row is not null then 'duplicate_activity'
                end as reject_reason
            from typed
            left join customers
                on typed.customer_id = customers.customer_id
                and customers.loaded_date <= typed.loaded_date
            left join later_copies
                on typed.loaded_date = later_copies.loaded_date
                and typed.source_row = later_copies.source_row
        )

        select * from classified
        where reject_reason is not null
    ) as rejected_in_month
    {%- endcall %}
)

select * from rejected
