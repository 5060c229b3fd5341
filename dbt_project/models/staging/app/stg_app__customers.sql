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
)

select * from clean
