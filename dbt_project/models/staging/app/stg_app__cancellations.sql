with

checked as (
    select * from {{ ref('stg_app__cancellations_checked') }}
),

clean as (
    select
        customer_id,
        cancel_reason,
        loaded_date,
        cancelled_at
    from checked
    where reject_reason is null
)

select * from clean
