{#- The aggregates of customer_activity_windows as of `as_of` (a column or a date literal). -#}
{% macro window_aggregates(as_of, activity, windows) %}
    {%- set days_before = days_between(activity ~ '.activity_date', as_of) %}
        {%- for column, measure, days in windows %}
        coalesce(sum({{ activity }}.{{ measure }}) filter (where {{ days_before }} <= {{ days }}), 0)
            as {{ column }},
        {%- endfor %}
        {#- Distinct active days as a bit per day, OR-ed: exact like count(distinct), which builds a
            second hash table per group and made the whole feature query three times slower. #}
        bit_count(bit_or(
            case when {{ days_before }} <= 30 then cast(1 as bigint) << ({{ days_before }} - 1) end
        )) as active_days_last_30d,
        max({{ activity }}.activity_date) as last_activity_date,
        max({{ activity }}.last_event_at) as last_event_at
{%- endmacro %}
