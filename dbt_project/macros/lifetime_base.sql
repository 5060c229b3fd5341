{#- The stored lifetime aggregates a run continues from: the newest as-of date built before
    `first_date` and the load watermark it was built with, as SQL date literals, or none (a full
    build, or nothing stored yet). See int_customer_lifetime_aggregates. -#}
{% macro lifetime_base(first_date) %}
    {%- if not execute or not is_incremental() or first_date is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select max(as_of_date), max(loaded_through_date) from " ~ this ~ " where as_of_date = "
        ~ "(select max(as_of_date) from " ~ this ~ " where as_of_date < " ~ first_date ~ ")") -%}
    {%- set as_of, loaded_through = found.columns[0].values()[0], found.columns[1].values()[0] -%}
    {%- if as_of is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({
        'as_of_date': "cast('" ~ as_of ~ "' as date)",
        'loaded_through_date': "cast('" ~ loaded_through ~ "' as date)"}) }}
{% endmacro %}
