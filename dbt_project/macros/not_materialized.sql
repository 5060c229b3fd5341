{#- `with name as {{ not_materialized() }} (...)`: DuckDB materializes a CTE read more than once,
    every column of every row, unless told not to; Spark always inlines CTEs and has no keyword. -#}
{% macro not_materialized() %}
    {{ return(adapter.dispatch('not_materialized', 'scoreline')()) }}
{% endmacro %}

{% macro default__not_materialized() %}not materialized{% endmacro %}

{% macro spark__not_materialized() %}{% endmacro %}
