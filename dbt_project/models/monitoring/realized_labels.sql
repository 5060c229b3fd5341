{#- Realized outcomes of published champion scores: one row per (model, customer, score date)
    whose label window has fully passed, labelled by label_rows exactly as training rows are, for
    every spec found in the declarations. Built by the realized-performance step (tag
    monitoring) only once predictions exist. A night reads only each spec's horizon plus
    `realized_slack_days` of predictions, so its cost stays flat as history grows. -#}
{#- the label kinds read these; dbt records dependencies while parsing, when no spec is known #}
-- depends_on: {{ ref('int_customers') }}
-- depends_on: {{ ref('int_activities_aggregated_to_customer_days') }}
{{ config(tags=['monitoring']) }}
{%- set labels = declarations().labels %}
{%- set published = source('published', 'predictions') %}

with

{% for name, label in labels.items() %}
{#- Published ids are text; the label macro joins warehouse tables, which keep the raw id type. #}
{{ name }}_scored as {{ not_materialized() }} (
    select distinct customers.customer_id, published.score_date as as_of_date
    from {{ published }} as published
    inner join {{ ref('int_customers') }} as customers
        on published.customer_id = {{ published_customer_id('customers.customer_id') }}
    where not published.is_shadow
        and published.model_name = '{{ name }}'
        and published.score_date >= {{ dbt.dateadd('day', -(label.horizon_days + var('realized_slack_days')), score_date()) }}
),

{{ name }}_realized as (
    {{ label_rows(name, label, name ~ '_scored') }}
),

{% endfor %}
realized_labels as (
    {%- for name in labels %}
    select * from {{ name }}_realized
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

select * from realized_labels
