{#- Windowed aggregates of daily activity per (customer, as-of date) on a spine, for declared
    feature versions: `columns` are window recipes ({column, activity, measure, window_days};
    see declared_features). A window of N days as of D covers activity dates D-N .. D-1.
    Two join shapes, one list of aggregates (window_recipe_aggregates), as in the released
    customer_activity_windows of v1/v2 (whose SQL is frozen by their fingerprints):
    - as-of dates before the score date (training dates: a sample of customers on many dates):
      the spine joins its customers' activity, aggregated per (customer, as-of date);
    - the score date (every customer in the base, one date): the lookback's activity is
      aggregated per customer against the score date, then kept for the spine's customers; the
      aggregation is then fed one customer's rows, not matches scattered through a join
      (1M-customer night 7.6 -> 4.1 s when v1/v2 moved to this shape).
    `spine` and `activity` name relations or `not materialized` CTEs. -#}
{% macro activity_windows(spine, activity, columns, lookback_days, score_date) %}
    select
        {{ spine }}.customer_id,
        {{ spine }}.as_of_date,
        {{- window_recipe_aggregates(spine ~ '.as_of_date', activity, columns) }}
    from {{ spine }}
    inner join {{ activity }}
        on {{ spine }}.customer_id = {{ activity }}.customer_id
        -- point in time: only days before D, i.e. activity before D 00:00
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
            {{- window_recipe_aggregates(score_date, activity, columns) }}
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

{#- The aggregate of each window recipe as of `as_of` (a column or a date literal), 0 when the
    window holds nothing: counts and active days as bigint, sums as double. #}
{% macro window_recipe_aggregates(as_of, activity, columns) %}
    {%- set in_window = days_between(activity ~ '.activity_date', as_of) ~ ' <= ' %}
    {%- set items %}
    {%- for recipe in columns %}
        {%- set prefix = 'activity' if recipe.activity == 'any' else recipe.activity %}
        {%- set source = {
            'count': activity ~ '.' ~ prefix ~ '_count',
            'amount': activity ~ '.' ~ recipe.activity ~ '_amount',
            'quantity': activity ~ '.' ~ recipe.activity ~ '_quantity',
            'revenue': revenue_of(activity, '_amount')}.get(recipe.measure) %}
        {%- if recipe.measure == 'active_days' %}
        cast(count(*) filter (where {{ in_window }}{{ recipe.window_days }}
            and {{ is_new_active_day(activity, recipe.activity) }}) as bigint) as {{ recipe.column }},
        {%- else %}
        cast(coalesce(sum({{ source }}) filter (where {{ in_window }}{{ recipe.window_days }}), 0)
            as {{ 'bigint' if recipe.measure == 'count' else type_double() }}) as {{ recipe.column }},
        {%- endif %}
    {%- endfor %}
    {%- endset %}
    {{- return(select_items(items)) }}
{%- endmacro %}
