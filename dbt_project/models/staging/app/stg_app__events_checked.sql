{#- Every raw event row, typed, with the reason it is rejected (null when clean).
    A table, not a view like the rest of staging: four models read events (clean, rejected,
    daily activity, plan changes), and as a view each of them re-ran the casts, the customer
    join and the duplicate window over every event (4 x 20-60 s at 1M customers). Incremental
    on the load day, so a night classifies one new day folder. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='loaded_date',
    )
}}

with

source as (
    select * from {{ source('app', 'events') }}
    where {{ raw_days_to_load('cast(day as date)') }}
),

customers as (
    select customer_id from {{ ref('stg_app__customers') }}
),

typed as (
    select
        -- ids
        cast(source.event_id as {{ dbt.type_string() }}) as event_id,
        cast(source.customer_id as {{ dbt.type_string() }}) as customer_id,
        -- strings
        lower(trim(cast(source.event_type as {{ dbt.type_string() }}))) as event_type,
        -- numerics
        cast(source.amount as {{ type_double() }}) as amount,
        cast(source.duration_seconds as {{ type_double() }}) as duration_seconds,
        -- dates
        cast(source.day as date) as loaded_date,
        -- timestamps
        {{ dbt.safe_cast('source.event_at', dbt.type_timestamp()) }} as event_at,
        source.event_at is null as is_event_at_missing
    from source
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
                'login', 'session', 'purchase', 'support_ticket', 'payment_failed', 'plan_change'
            ) or typed.event_type is null then 'unknown_event_type'
            when typed.amount < 0 then 'negative_amount'
            when typed.duration_seconds < 0 then 'negative_duration'
            when customers.customer_id is null then 'unknown_customer'
            when row_number() over (
                partition by typed.loaded_date, typed.event_id order by typed.event_at
            ) > 1 then 'duplicate_event'
        end as reject_reason
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
)

select * from classified
