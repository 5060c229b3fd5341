with

checked as (
    select * from {{ ref('stg_app__customers_checked') }}
),

clean as (
    select
        customer_id,
        plan,
        region,
        channel,
        monthly_price,
        loaded_date,
        signup_at
    from checked
    where reject_reason is null
        -- the checked table keeps days a backfill's score date has not reached yet
        and loaded_date < {{ score_date() }}
)

select * from clean
