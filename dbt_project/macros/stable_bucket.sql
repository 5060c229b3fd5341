{#- A deterministic bucket in [0, buckets) for an expression: the same row always samples the same
    way on one engine (DuckDB's and Spark's hashes differ, so each draws its own sample; the
    drift panel, which must match across engines and Python, is ordered by md5 instead). -#}
{% macro stable_bucket(expression, buckets) %}
    {{ return(adapter.dispatch('stable_bucket', 'scoreline')(expression, buckets)) }}
{% endmacro %}

{% macro default__stable_bucket(expression, buckets) %}
    (hash({{ expression }}) % {{ buckets }})
{% endmacro %}

{#- Spark's hash may be negative; pmod keeps the bucket in [0, buckets). #}
{% macro spark__stable_bucket(expression, buckets) %}
    pmod(xxhash64({{ expression }}), {{ buckets }})
{% endmacro %}
