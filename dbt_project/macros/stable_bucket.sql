{#- A deterministic bucket in [0, buckets) for an expression: the same row always samples the same way. -#}
{% macro stable_bucket(expression, buckets) %}
    {{ return(adapter.dispatch('stable_bucket', 'scoreline')(expression, buckets)) }}
{% endmacro %}

{% macro default__stable_bucket(expression, buckets) %}
    (hash({{ expression }}) % {{ buckets }})
{% endmacro %}
