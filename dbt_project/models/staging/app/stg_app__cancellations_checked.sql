{#- Every raw cancellation row, typed, with the reason it is rejected (null when clean). -#}
{#- A table, not a view: the clean, quarantine and lifetime models, the raw-day loaders' customer
    check and their tests all read it, and as a view each re-read every day file and re-ran the
    duplicate window (a second of a night's critical path). -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('app', 'cancellations') }}
),

customers as (
    select customer_id from {{ ref('stg_app__customers') }}
),

typed as (
    select
        -- ids: raw type (integer or text; see published_customer_id)
        source.customer_id,
        -- strings
        cast(source.reason as {{ dbt.type_string() }}) as cancel_reason,
        -- dates
        cast(source.day as date) as loaded_date,
        -- timestamps
        {{ dbt.safe_cast('source.cancelled_at', dbt.type_timestamp()) }} as cancelled_at,
        source.cancelled_at is null as is_cancelled_at_missing
    from source
),

classified as (
    select
        typed.*,
        case
            when typed.customer_id is null then 'missing_customer_id'
            when typed.is_cancelled_at_missing then 'missing_cancelled_at'
            when typed.cancelled_at is null then 'unparseable_cancelled_at'
            when typed.cancelled_at >= {{ dbt.dateadd('day', 1, 'typed.loaded_date') }}
                then 'cancelled_at_after_file_day'
            when customers.customer_id is null then 'unknown_customer'
            when row_number() over (
                partition by typed.customer_id order by typed.cancelled_at, typed.loaded_date
            ) > 1 then 'duplicate_cancellation'
        end as reject_reason
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
    where typed.loaded_date < {{ score_date() }}
)

select * from classified
