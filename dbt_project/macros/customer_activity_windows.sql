{#- Window aggregates of daily activity per (customer, as-of date): one definition shared by every
    feature version that uses it. `windows` is a list of (output column, activity measure, days).
    Changing this macro changes every version that calls it: the fingerprint test catches that. -#}
{% macro customer_activity_windows(spine, activity, windows, lookback_days) %}
    select
        {{ spine }}.customer_id,
        {{ spine }}.as_of_date,
        {%- for column, measure, days in windows %}
        sum(
            case
                when {{ activity }}.activity_date >= {{ dbt.dateadd('day', -days, spine ~ '.as_of_date') }}
                    then {{ activity }}.{{ measure }}
                else 0
            end
        ) as {{ column }},
        {%- endfor %}
        count(distinct case
            when {{ activity }}.activity_date >= {{ dbt.dateadd('day', -30, spine ~ '.as_of_date') }}
                then {{ activity }}.activity_date
        end) as active_days_last_30d,
        max({{ activity }}.activity_date) as last_activity_date,
        max({{ activity }}.last_event_at) as last_event_at
    from {{ spine }}
    inner join {{ activity }}
        on {{ spine }}.customer_id = {{ activity }}.customer_id
        -- point in time: a feature as of D reads only days before D, i.e. events < D 00:00
        and {{ activity }}.activity_date < {{ spine }}.as_of_date
        and {{ activity }}.activity_date >= {{ dbt.dateadd('day', -lookback_days, spine ~ '.as_of_date') }}
    group by 1, 2
{% endmacro %}
