{#- Every raw event row (load days before the score date), typed, with its position in the day's
    file. A view: the 100M-row event level is never copied into the warehouse (writing it cost
    more than everything computed from it); readers filter on loaded_date, which prunes day
    folders. (loaded_date, source_row) identifies a raw row, so quarantine and clean rows can
    be told apart without classifying every row twice. -#}
{{ config(materialized='view') }}

with

source as (
    select * from {{ source('app', 'events') }}
    where cast(day as date) < {{ score_date() }}
),

typed as (
    select
        -- ids: raw type (integer or text; see published_customer_id)
        event_id,
        customer_id,
        -- strings
        lower(trim(cast(event_type as {{ dbt.type_string() }}))) as event_type,
        -- numerics
        cast(amount as {{ type_double() }}) as amount,
        cast(duration_seconds as {{ type_double() }}) as duration_seconds,
        cast(file_row_number as bigint) as source_row,
        -- dates
        cast(day as date) as loaded_date,
        -- timestamps
        {{ dbt.safe_cast('event_at', dbt.type_timestamp()) }} as event_at,
        event_at is null as is_event_at_missing
    from source
)

select * from typed
