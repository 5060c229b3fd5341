{#- Window aggregates of daily activity per (customer, as-of date): one definition shared by every
    feature version that uses it. `windows` is a list of (output column, activity measure, days).
    Changing this macro changes every version that calls it: the fingerprint test catches that.

    A window of N days as of D covers activity dates D-N .. D-1, i.e. `days_before` 1 .. N.
    Plain date arithmetic (date - integer) keeps the comparisons on DATE values; interval
    arithmetic would turn every comparison into a timestamp cast per joined row. -#}
{% macro customer_activity_windows(spine, activity, windows, lookback_days) %}
    {%- set days_before = '(' ~ spine ~ '.as_of_date - ' ~ activity ~ '.activity_date)' %}
    select
        {{ spine }}.customer_id,
        {{ spine }}.as_of_date,
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
    from {{ spine }}
    inner join {{ activity }}
        on {{ spine }}.customer_id = {{ activity }}.customer_id
        -- point in time: a feature as of D reads only days before D, i.e. events < D 00:00
        and {{ activity }}.activity_date < {{ spine }}.as_of_date
        and {{ activity }}.activity_date >= {{ spine }}.as_of_date - {{ lookback_days }}
    group by 1, 2
{% endmacro %}
