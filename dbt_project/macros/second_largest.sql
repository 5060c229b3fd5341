{#- Aggregate: the second largest non-null value of the group (null when it has fewer than two). -#}
{% macro second_largest(expression) %}
    {{ return(adapter.dispatch('second_largest', 'scoreline')(expression)) }}
{% endmacro %}

{% macro default__second_largest(expression) %}max({{ expression }}, 2)[2]{% endmacro %}

{#- Spark has no top-n max: the group's values sorted descending, the second (null past the end). #}
{% macro spark__second_largest(expression) %}element_at(sort_array(collect_list({{ expression }}), false), 2){% endmacro %}
