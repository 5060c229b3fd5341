{#- Realized outcomes of published champion scores: one row per (model, customer, score date)
    whose label window has fully passed, labelled by the same macro that labels training rows.
    Built by the realized-performance step (tag monitoring) only once predictions exist.
    A night reads only the last `realized_lookback_days` of predictions, so its cost stays
    flat as history grows. A new model adds one `union all` block with its label macro. -#}
{{ config(tags=['monitoring']) }}
{%- set published = source('published', 'predictions') %}

{%- set scored = "(select distinct customer_id, score_date as as_of_date from " ~ published
    ~ " where not is_shadow and model_name = '%s' and score_date >= "
    ~ dbt.dateadd('day', -var('realized_lookback_days'), score_date()) ~ ")" %}

with

churn as (
    {{ churn_label(scored | format('churn')) }}
),

payment_failure as (
    {{ payment_failure_label(scored | format('payment_failure')) }}
),

realized_labels as (
    select 'churn' as model_name, * from churn
    union all
    select 'payment_failure' as model_name, * from payment_failure
)

select * from realized_labels
