{#- Window aggregates of daily activity per (customer, as-of date): one definition shared by every
    feature version that uses it. `windows` is a list of (output column, activity measure, days).
    Changing this macro changes every version that calls it: the fingerprint test catches that.

    A window of N days as of D covers activity dates D-N .. D-1, i.e. `days_before` 1 .. N.
    Plain date arithmetic (date - integer) keeps the comparisons on DATE values; interval
    arithmetic would turn every comparison into a timestamp cast per joined row.

    Two join shapes, one list of aggregates (window_aggregates), so both compute the same thing:
    - as-of dates before the score date (the training spine: a sample of customers on many
      dates): the spine joins its customers' activity, aggregated per (customer, as-of date);
    - the score date (every active customer, one date): the lookback's activity is aggregated per
      customer against the score date itself, then kept for the customers on the spine. Without
      the join in front, the aggregation is no longer fed one spine row's matches scattered
      through 19M joined rows: 1M-customer night 7.6 -> 4.1 s (the same rows; the double sums
      differ from the joined form's only in the last bit, as two runs of either form do).
    `spine` and `activity` name relations or CTEs; each branch reads them with its own filters,
    so CTEs should be `not materialized` (a CTE read twice is otherwise materialized whole). -#}
{% macro customer_activity_windows(spine, activity, windows, lookback_days, score_date) %}
    select
        {{ spine }}.customer_id,
        {{ spine }}.as_of_date,
        {{- window_aggregates(spine ~ '.as_of_date', activity, windows) }}
    from {{ spine }}
    inner join {{ activity }}
        on {{ spine }}.customer_id = {{ activity }}.customer_id
        -- point in time: a feature as of D reads only days before D, i.e. events < D 00:00
        and {{ activity }}.activity_date < {{ spine }}.as_of_date
        and {{ activity }}.activity_date >= {{ spine }}.as_of_date - {{ lookback_days }}
    where {{ spine }}.as_of_date <> {{ score_date }}
    group by 1, 2

    union all

    select per_customer.*
    from (
        select
            {{ activity }}.customer_id,
            {{ score_date }} as as_of_date,
            {{- window_aggregates(score_date, activity, windows) }}
        from {{ activity }}
        -- point in time, as above
        where {{ activity }}.activity_date < {{ score_date }}
            and {{ activity }}.activity_date >= {{ score_date }} - {{ lookback_days }}
        group by 1
    ) as per_customer
    semi join {{ spine }}
        on per_customer.customer_id = {{ spine }}.customer_id
        and {{ spine }}.as_of_date = {{ score_date }}
{% endmacro %}
