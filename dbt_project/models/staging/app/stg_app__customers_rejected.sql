{#- A view: the checked table is small and already classified; readers filter on loaded_date. -#}
{{ config(materialized='view') }}

select * from {{ ref('stg_app__customers_checked') }}
where reject_reason is not null
    and loaded_date < {{ score_date() }}
