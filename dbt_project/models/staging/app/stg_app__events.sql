with

checked as (
    select * from {{ ref('stg_app__events_checked') }}
),

clean as (
    select
        event_id,
        customer_id,
        event_type,
        amount,
        duration_seconds,
        loaded_date,
        event_at
    from checked
    where reject_reason is null
)

select * from clean
