{#- The SQL of a declared feature version: its model file is `{{ declared_features() }}`, and its
    contract columns in YAML carry their recipe in `meta` (written by `scoreline features` from
    the version's `families`; docs/features.md). One expression per recipe family:
      attribute  a declared customer attribute (as updated by activities before the as-of date)
      tenure     whole days since the customer was first seen
      windowed   count, amount, quantity, revenue or active days over the last N days
      recency    days since the last activity (of one kind, or any), over the whole lifetime
      lifetime   since first seen: count, active days, amount, quantity, revenue, their means,
                 and the mean and last gap between active days
    Point in time: every input is read as of the as-of date D (activity dated before D): the
    version's windows over the longest window's days, the lifetime aggregates every declared
    version shares (int_customer_lifetime_aggregates). The audit column last_activity_at (the
    newest activity any feature read) is what the leakage guard checks. -#}
{% macro declared_features() %}
{#- refs outside every condition: dbt records dependencies while parsing, when nothing is declared #}
{%- set customer_days = ref('int_activities_aggregated_to_customer_days') %}
{%- set recipes = declared_feature_recipes() %}
{%- set windowed = recipes | selectattr('family', 'equalto', 'windowed') | list %}
{%- set lookback = windowed | map(attribute='window_days') | max if windowed else 0 %}
{%- set first_date = first_as_of_date_to_build() %}

with

spine as {{ not_materialized() }} (
    select customer_id, as_of_date from {{ ref('int_customer_dates_feature_spine') }}
    {% if first_date %}where as_of_date >= {{ first_date }}{% endif %}
),

customers as (
    select * from {{ ref('int_customers') }}
),

lifetime as (
    select * from {{ ref('int_customer_lifetime_aggregates') }}
    {% if first_date %}where as_of_date >= {{ first_date }}{% endif %}
),

{%- if windowed %}

activity as {{ not_materialized() }} (
    select * from {{ customer_days }}
    {% if first_date -%}
    {#- a night reads only the lookback window, so its cost stays flat as history grows #}
    where activity_date >= {{ first_date }} - {{ lookback }}
    {%- endif %}
),

windows as (
    {{ activity_windows('spine', 'activity', windowed, lookback, score_date()) }}
),
{%- endif %}

features as (
    select
        -- ids
        {{ published_customer_id('spine.customer_id') }} as customer_id,
        -- declared features, in contract order
        {%- for recipe in recipes %}
        cast({{ declared_feature_expression(recipe) }} as {{ recipe.data_type }}) as {{ recipe.column }},
        {%- endfor %}
        -- dates
        spine.as_of_date,
        -- timestamps
        lifetime.last_activity_at
    from spine
    inner join customers
        on spine.customer_id = customers.customer_id
    left join lifetime
        on spine.customer_id = lifetime.customer_id
        and spine.as_of_date = lifetime.as_of_date
    {%- if windowed %}
    left join windows
        on spine.customer_id = windows.customer_id
        and spine.as_of_date = windows.as_of_date
    {%- endif %}
)

select * from features
{% endmacro %}

{#- The calling model's contract columns that carry a recipe (meta.family), in contract order.
    (dbt unit tests see neither the columns nor the graph: tests/dbt/test_declared_business.py
    builds a declared version from hand-written raw rows instead.) #}
{% macro declared_feature_recipes() %}
    {%- set recipes = [] %}
    {%- for name, column in model.columns.items() %}
        {%- set meta = (column.config or {}).get('meta') or column.meta or {} %}
        {%- if meta.get('family') %}
            {%- do recipes.append({
                'column': name, 'data_type': column.data_type, 'family': meta.family,
                'activity': meta.get('activity'), 'measure': meta.get('measure'),
                'window_days': meta.get('window_days'), 'attribute': meta.get('attribute'),
                'updated_by': meta.get('updated_by')}) %}
        {%- endif %}
    {%- endfor %}
    {%- if execute and not recipes %}
        {{ exceptions.raise_compiler_error(
            model.name ~ " calls declared_features() but none of its contract columns has a recipe "
            "(meta.family): run `scoreline features --write` to generate them from its families") }}
    {%- endif %}
    {{ return(recipes) }}
{% endmacro %}

{#- One recipe's SQL expression over `spine`, `customers`, `lifetime` and `windows`. #}
{% macro declared_feature_expression(recipe) %}
    {%- set prefix = 'activity' if recipe.activity == 'any' else recipe.activity %}
    {%- set family, measure = recipe.family, recipe.measure %}
    {%- if family == 'attribute' %}
        {%- if recipe.updated_by -%}
            coalesce(lifetime.{{ recipe.updated_by }}_last_amount, customers.{{ recipe.attribute }})
        {%- else -%}
            customers.{{ recipe.attribute }}
        {%- endif %}
    {%- elif family == 'tenure' -%}
        {{ dbt.datediff('customers.first_seen_at', 'spine.as_of_date', 'day') }}
    {%- elif family == 'windowed' -%}
        coalesce(windows.{{ recipe.column }}, 0)
    {%- elif family == 'recency' -%}
        {{ dbt.datediff('lifetime.' ~ prefix ~ '_last_date', 'spine.as_of_date', 'day') }}
    {%- elif family == 'lifetime' and measure in ('count', 'active_days') -%}
        coalesce(lifetime.{{ prefix }}_{{ measure }}, 0)
    {%- elif family == 'lifetime' and measure in ('amount', 'quantity') -%}
        coalesce(lifetime.{{ recipe.activity }}_{{ measure }}, 0)
    {%- elif family == 'lifetime' and measure == 'revenue' -%}
        coalesce({{ revenue_of('lifetime', '_amount') }}, 0)
    {%- elif family == 'lifetime' and measure == 'amount_mean' -%}
        lifetime.{{ recipe.activity }}_amount / nullif(lifetime.{{ recipe.activity }}_count, 0)
    {%- elif family == 'lifetime' and measure == 'revenue_mean' -%}
        {{ revenue_of('lifetime', '_amount') }} / nullif({{ revenue_of('lifetime', '_count') }}, 0)
    {%- elif family == 'lifetime' and measure == 'mean_gap_days' -%}
        {{ dbt.datediff('lifetime.' ~ prefix ~ '_first_date', 'lifetime.' ~ prefix ~ '_last_date', 'day') }}
            / nullif(lifetime.{{ prefix }}_active_days - 1, 0)
    {%- elif family == 'lifetime' and measure == 'last_gap_days' -%}
        {{ dbt.datediff('lifetime.' ~ prefix ~ '_previous_date', 'lifetime.' ~ prefix ~ '_last_date', 'day') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "column " ~ recipe.column ~ " of " ~ model.name ~ ": no recipe for family '" ~ family
            ~ "' with measure '" ~ measure ~ "'") }}
    {%- endif %}
{%- endmacro %}
