{#- One row per training as-of date: every spec's grid (its label's as_of_step_days, counted from
    the first raw day plus `training_min_history_days`) up to the score date, merged. The grids
    are stable from night to night; each spec's labels keep their own dates. -#}
{% macro training_as_of_dates(first_day) %}
    {%- set steps = declarations().labels.values() | map(attribute='as_of_step_days') | unique | sort %}
    {%- set start = "(select " ~ dbt.dateadd('day', var('training_min_history_days'), 'first_day') ~ " from " ~ first_day ~ ")" %}
    select distinct as_of_date from (
        {%- for step in steps %}
        {{ as_of_date_series(start, score_date(), step) }}
        {%- if not loop.last %} union all{% endif %}
        {%- else %}
        select cast(null as date) as as_of_date where false
        {%- endfor %}
    ) as grids
{% endmacro %}

{#- True for the as-of dates on a step's grid (see training_as_of_dates). -#}
{% macro on_training_grid(as_of_date, step, first_day) %}
    ({{ dbt.datediff(
        "(select " ~ dbt.dateadd('day', var('training_min_history_days'), 'first_day') ~ " from " ~ first_day ~ ")",
        as_of_date, 'day') }} % {{ step }} = 0)
{% endmacro %}
