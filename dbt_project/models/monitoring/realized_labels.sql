{#- Realized outcomes of published champion scores: one row per (model, customer, score date)
    whose label window has fully passed, labelled by the same macro that labels training rows.
    Built by the realized-performance step (tag monitoring) only once predictions exist.
    A night reads only the last `realized_lookback_days` of predictions, so its cost stays
    flat as history grows. A new model adds one `union all` block with its label macro. -#}
{{ config(tags=['monitoring']) }}
{%- set published = source('published', 'predictions') %}

{#- Published ids are text; the label macros join warehouse tables, which keep the raw id type. #}
{%- set scored = "(select distinct customers.customer_id, published.score_date as as_of_date from "
    ~ published ~ " as published inner join " ~ ref('int_customer_lifetimes') ~ " as customers on "
    ~ "published.customer_id = " ~ published_customer_id('customers.customer_id')
    ~ " where not published.is_shadow and published.model_name = '%s' and published.score_date >= "
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
