{#- The released v1/v2 features' customers, in their column names: one row per customer, a view
    over the generic int_customers. -#}
with

customers as (
    select * from {{ ref('int_customers') }}
),

legacy_names as (
    select
        -- ids
        customer_id,
        -- strings
        plan,
        region,
        channel,
        -- numerics
        monthly_price,
        -- timestamps
        first_seen_at as signup_at,
        contract_ended_at as cancelled_at
    from customers
)

select * from legacy_names
