{#- One row per customer in the base on the score date: who the nightly run scores. -#}
with

customers as (
    select * from {{ ref('int_customers') }}
),

active_customers as (
    select
        customers.customer_id,
        {{ score_date() }} as as_of_date
    from customers
    where {{ is_active_at('customers', score_date()) }}
)

select * from active_customers
