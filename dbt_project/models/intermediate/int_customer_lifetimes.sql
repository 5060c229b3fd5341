{#- One row per customer: static attributes and the first cancellation, if any. -#}
with

customers as (
    select * from {{ ref('stg_app__customers') }}
),

cancellations as (
    select * from {{ ref('stg_app__cancellations') }}
),

first_cancellations as (
    select
        customer_id,
        min(cancelled_at) as cancelled_at
    from cancellations
    group by 1
),

lifetimes as (
    select
        -- ids
        customers.customer_id,
        -- strings
        customers.plan,
        customers.region,
        customers.channel,
        -- numerics
        customers.monthly_price,
        -- timestamps
        customers.signup_at,
        first_cancellations.cancelled_at
    from customers
    left join first_cancellations
        on customers.customer_id = first_cancellations.customer_id
)

select * from lifetimes
