{{ config(materialized='table') }}

select * from {{ ref('stg_app__customers_checked') }}
where reject_reason is not null
