{{ config(materialized='table') }}

select * from {{ ref('stg_app__cancellations_checked') }}
where reject_reason is not null
