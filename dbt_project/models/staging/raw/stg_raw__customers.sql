{#- Clean customers: one row per customer, with its declared attributes. -#}
with

checked as (
    select * from {{ ref('stg_raw__customers_checked') }}
),

clean as (
    select
        customer_id,
        {%- for name in declarations().customer_attributes %}
        {{ name }},
        {%- endfor %}
        loaded_date,
        first_seen_at
    from checked
    where reject_reason is null
        -- the checked table keeps days a backfill's score date has not reached yet
        and loaded_date < {{ score_date() }}
)

select * from clean
