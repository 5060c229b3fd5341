{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='loaded_date',
    )
}}

with

checked as (
    select * from {{ ref('stg_app__events_checked') }}
    where {{ raw_days_to_load('loaded_date') }}
),

rejected as (
    select * from checked
    where reject_reason is not null
)

select * from rejected
