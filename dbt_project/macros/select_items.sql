{#- A macro's generated select items (each written with a trailing comma, as a loop writes them)
    as a list to place after other items: the last comma dropped, which DuckDB tolerates before
    `from` and Spark does not. -#}
{% macro select_items(items) %}
    {{- return('\n        ' ~ (items | trim | trim(','))) }}
{% endmacro %}
