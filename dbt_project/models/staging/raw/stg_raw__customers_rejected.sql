{#- Quarantined customer rows with the reason: one row per rejected raw row. A view: the checked
    table is small and already classified; readers filter on loaded_date. -#}
{{ config(materialized='view') }}

select * from {{ ref('stg_raw__customers_checked') }}
where reject_reason is not null
    and loaded_date < {{ score_date() }}
