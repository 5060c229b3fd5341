{#- The customer id as every table that leaves the warehouse carries it (features, labels,
    training sets, scoring inputs, predictions): text, whatever type the raw files use.
    Inside the warehouse ids keep their raw type (the raw contract makes it the same in every
    table): hashing, joining and grouping 100M integer ids is a third cheaper than text, and
    the customer-day table is written without 77M id strings. -#}
{% macro published_customer_id(column) -%}
    cast({{ column }} as {{ dbt.type_string() }})
{%- endmacro %}
