{#- Whole days from date `earlier` to date `later`, as an integer. DuckDB subtracts dates to an
    integer (cheaper, over a year of customer-days, than dbt.datediff's date_diff); Spark's date
    subtraction gives an interval. -#}
{% macro days_between(earlier, later) %}
    {{ return(adapter.dispatch('days_between', 'scoreline')(earlier, later)) }}
{% endmacro %}

{% macro default__days_between(earlier, later) %}({{ later }} - {{ earlier }}){% endmacro %}

{% macro spark__days_between(earlier, later) %}datediff({{ later }}, {{ earlier }}){% endmacro %}
