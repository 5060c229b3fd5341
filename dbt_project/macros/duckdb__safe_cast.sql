{#- dbt-duckdb leaves dbt.safe_cast as a plain cast, which aborts the whole build on one bad
    timestamp; staging needs a null instead, so the row can be quarantined with a reason. -#}
{% macro duckdb__safe_cast(field, type) %}
    try_cast({{ field }} as {{ type }})
{% endmacro %}
