{#- The value of `value` on the row with the greatest `at` (DuckDB arg_max, Spark max_by). -#}
{% macro value_at_latest(value, at) %}
    {{ return(adapter.dispatch('value_at_latest', 'scoreline')(value, at)) }}
{% endmacro %}

{% macro default__value_at_latest(value, at) %}arg_max({{ value }}, {{ at }}){% endmacro %}

{% macro spark__value_at_latest(value, at) %}max_by({{ value }}, {{ at }}){% endmacro %}
