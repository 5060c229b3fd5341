{#- Quarantined event rows with the reason, for the load days of this run. Every raw row is
    classified here and only here; clean events are the typed rows this table does not hold.
    Incremental on load day, so a night classifies one new day folder. -#}
{#- append_new_columns: a warehouse built before source_row existed gains the column (null
    for old rows, which no night reads again) instead of failing the clean view's anti-join. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='loaded_date',
        on_schema_change='append_new_columns',
    )
}}

with

customers as (
    select customer_id from {{ ref('stg_app__customers') }}
),

{#- Classified one load month at a time (union_by_load_month): every check reads one row, its
    customer or the other rows of its own load day, so a month's sort stays in memory. #}
rejected as (
    {%- call(in_month) union_by_load_month(ref('stg_app__events_typed')) %}
    select * from (
        with

        typed as (
            select * from {{ ref('stg_app__events_typed') }}
            where {{ raw_days_to_load('loaded_date') }}
                and {{ in_month }}
        ),

        {#- Duplicates in two steps, so the 100M-row sort has one key: rows sorted by id alone
            find the ids sent more than once in a day (a row equal to its neighbour), and only
            the copies of those ids are ranked by event_at then file order (the earliest copy is
            clean). Sorting every row by (id, event_at, file row) took twice as long. Only key
            columns go through the sort, and it reads the view itself, not the `typed` CTE: a
            CTE read twice is materialized, every typed column of every row. #}
        copies as (
            select loaded_date, event_id, event_at, source_row
            from (
                select
                    loaded_date,
                    event_id,
                    event_at,
                    source_row,
                    lag(event_id) over same_day_by_id as previous_id,
                    lead(event_id) over same_day_by_id as next_id
                from {{ ref('stg_app__events_typed') }}
                where {{ raw_days_to_load('loaded_date') }}
                    and {{ in_month }}
                window same_day_by_id as (partition by loaded_date order by event_id)
            ) as neighbours
            where event_id = previous_id or event_id = next_id
        ),

        later_copies as (
            select loaded_date, source_row
            from (
                select
                    loaded_date,
                    source_row,
                    row_number() over (
                        partition by loaded_date, event_id order by event_at, source_row
                    ) as copy_number
                from copies
            ) as ranked
            where copy_number > 1
        ),

        classified as (
            select
                typed.*,
                case
                    when typed.event_id is null then 'missing_event_id'
                    when typed.customer_id is null then 'missing_customer_id'
                    when typed.is_event_at_missing then 'missing_event_at'
                    when typed.event_at is null then 'unparseable_event_at'
                    when typed.event_at >= {{ dbt.dateadd('day', 1, 'typed.loaded_date') }}
                        then 'event_at_after_file_day'
                    when typed.event_type not in (
                        'login', 'session', 'purchase', 'support_ticket', 'payment_failed',
                        'plan_change'
                    ) or typed.event_type is null then 'unknown_event_type'
                    when typed.amount < 0 then 'negative_amount'
                    when typed.duration_seconds < 0 then 'negative_duration'
                    when customers.customer_id is null then 'unknown_customer'
                    when later_copies.source_row is not null then 'duplicate_event'
                end as reject_reason
            from typed
            left join customers
                on typed.customer_id = customers.customer_id
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
