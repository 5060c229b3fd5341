{#- The features of every customer active on the score date, from the given feature version. -#}
{% macro scoring_input(features, feature_version) %}
with

scoring_spine as (
    select * from {{ ref('int_customer_dates_scoring_spine') }}
),

features as (
    select * from {{ features }}
    where as_of_date = {{ score_date() }}
),

scored_customers as (
    select
        features.*,
        {{ feature_version }} as feature_version
    from scoring_spine
    inner join features
        on scoring_spine.customer_id = features.customer_id
        and scoring_spine.as_of_date = features.as_of_date
)

select * from scored_customers
{% endmacro %}
