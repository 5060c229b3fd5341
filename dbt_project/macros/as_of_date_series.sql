{#- One row per as-of date from `start` to `stop` inclusive, every `step_days` days. -#}
{% macro as_of_date_series(start, stop, step_days) %}
    {{ return(adapter.dispatch('as_of_date_series', 'scoreline')(start, stop, step_days)) }}
{% endmacro %}

{% macro default__as_of_date_series(start, stop, step_days) %}
    select cast(generate_series as date) as as_of_date
    from generate_series(
        cast({{ start }} as timestamp),
        cast({{ stop }} as timestamp),
        interval '{{ step_days }} days'
    )
{% endmacro %}

{#- sequence() fails on a start after the stop, where DuckDB's series is empty: the stop is raised
    to the start and the extra date filtered out. #}
{% macro spark__as_of_date_series(start, stop, step_days) %}
    select as_of_date
    from (
        select explode(sequence(
            cast({{ start }} as date),
            greatest(cast({{ start }} as date), cast({{ stop }} as date)),
            interval {{ step_days }} day
        )) as as_of_date
    ) as series
    where as_of_date <= cast({{ stop }} as date)
{% endmacro %}
