{#- 64-bit floating point. dbt.type_float() is 32-bit FLOAT on DuckDB, which turns 19.99 into
    19.9899997: prices and sums need double precision. -#}
{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'scoreline')()) }}
{% endmacro %}

{% macro default__type_double() %}double{% endmacro %}

{% macro postgres__type_double() %}double precision{% endmacro %}
