{#- Every raw customer row, typed, with the reason it is rejected (null when clean).
    The clean and quarantine models both select from here, so a row lands in exactly one. -#}
{#- A table, not a view: the clean, quarantine and lifetime models, the raw-day loaders' customer
    check and their tests all read it, and as a view each re-read every day file and re-ran the
    duplicate window (a second of a night's critical path). -#}
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('app', 'customers') }}
),

typed as (
    select
        -- ids: raw type (integer or text; see published_customer_id)
        customer_id,
        -- strings
        lower(trim(cast(plan as {{ dbt.type_string() }}))) as plan,
        lower(trim(cast(region as {{ dbt.type_string() }}))) as region,
        lower(trim(cast(channel as {{ dbt.type_string() }}))) as channel,
        -- numerics
        {{ dbt.safe_cast('monthly_price', type_double()) }} as monthly_price,
        -- dates
        cast(day as date) as loaded_date,
        -- timestamps
        {{ dbt.safe_cast('signup_at', dbt.type_timestamp()) }} as signup_at,
        signup_at is null as is_signup_at_missing
    from source
),

classified as (
    select
        *,
        case
            when customer_id is null then 'missing_customer_id'
            when is_signup_at_missing then 'missing_signup_at'
            when signup_at is null then 'unparseable_signup_at'
            when signup_at >= {{ dbt.dateadd('day', 1, 'loaded_date') }} then 'signup_at_after_file_day'
            when monthly_price is null or monthly_price < 0 then 'invalid_monthly_price'
            when row_number() over (
                partition by customer_id order by loaded_date, signup_at
            ) > 1 then 'duplicate_customer_id'
        end as reject_reason
    from typed
    where loaded_date < {{ score_date() }}
)

select * from classified
