{#- Training labels of every spec: one row per (model, customer, as-of date) on the spec's grid
    of the training spine whose label window has fully passed the score date. Each spec declares
    its label (kind, horizon, as-of step) in its YAML; label_rows defines each kind once, for
    training here and for realized performance (realized_labels). A training set is a spec's
    labels joined to its feature version's rows of the same (customer, as-of date). -#}
{#- the label kinds read these; dbt records dependencies while parsing, when no spec is known #}
-- depends_on: {{ ref('int_customers') }}
-- depends_on: {{ ref('int_activities_aggregated_to_customer_days') }}
{%- set labels = declarations().labels %}

with

first_raw_day as (
    select min(loaded_date) as first_day from {{ ref('stg_raw__customers') }}
),

spine as {{ not_materialized() }} (
    select * from {{ ref('int_customer_dates_training_spine') }}
),

{% for name, label in labels.items() %}
{{ name }}_labels as (
    {{ label_rows(name, label,
        "(select * from spine where " ~ on_training_grid('as_of_date', label.as_of_step_days, 'first_raw_day') ~ ")") }}
),

{% endfor %}
training_labels as (
    {%- for name in labels %}
    select * from {{ name }}_labels
    {%- if not loop.last %} union all{% endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as integer) as label,
        cast(null as date) as as_of_date,
        cast(null as date) as label_window_end_date
    where false
    {%- endfor %}
)

select * from training_labels
