{#- Every raw activity row (load days before the score date), typed, with its position in the
    day's file. One row per raw row. A view: the 100M-row activity level is never copied into the
    warehouse (writing it cost more than everything computed from it); readers filter on
    loaded_date, which prunes day folders. (loaded_date, source_row) identifies a raw row, so
    quarantine and clean rows can be told apart without classifying every row twice.
    amount and quantity are null for a business none of whose activities carries them (its
    files need not have the columns). -#}
{{ config(materialized='view') }}

{%- set vocabulary = declarations() %}
{%- set carries_amounts = vocabulary.activities.values() | selectattr('carries_amount') | list %}
{%- set carries_quantities = vocabulary.activities.values() | selectattr('quantity') | list %}

with

source as (
    select * from {{ source('raw', 'activities') }}
    where cast(day as date) < {{ score_date() }}
),

typed as (
    select
        -- ids: raw type (integer or text; see published_customer_id)
        source.activity_id,
        source.customer_id,
        -- strings
        lower(trim(cast(source.activity as {{ dbt.type_string() }}))) as activity,
        -- numerics
        cast({{ 'source.amount' if carries_amounts else 'null' }} as {{ type_double() }}) as amount,
        cast({{ 'source.quantity' if carries_quantities else 'null' }} as {{ type_double() }})
            as quantity,
        cast(source.file_row_number as bigint) as source_row,
        -- declared activity attributes
        {{- typed_attributes(vocabulary.activity_attributes, 'source') }}
        -- dates
        cast(source.day as date) as loaded_date,
        -- timestamps
        {{ dbt.safe_cast('source.activity_at', dbt.type_timestamp()) }} as activity_at,
        source.activity_at is null as is_activity_at_missing
    from source
)

select * from typed
