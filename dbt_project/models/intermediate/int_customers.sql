{#- One row per customer: declared attributes, when first seen, and when the contract ended (the
    first contract-ending activity; null while active, and always for a non-contractual
    business). -#}
with

customers as (
    select * from {{ ref('stg_raw__customers') }}
),

contract_ends as (
    select
        customer_id,
        min(ended_at) as contract_ended_at
    from {{ ref('int_contract_ends') }}
    where loaded_date < {{ score_date() }}
    group by 1
),

customers_with_contract_ends as (
    select
        customers.*,
        contract_ends.contract_ended_at
    from customers
    left join contract_ends
        on customers.customer_id = contract_ends.customer_id
)

select * from customers_with_contract_ends
