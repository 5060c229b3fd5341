{#- A stable sample of customers on the days of the drift calibration window before the score
    date (every day of the newest week, every 7th day before): training replays them to
    calibrate its drift levels (ml/monitoring/calibration.py).
    The specs' weekly training dates alone fall on one weekday and would hide the weekday swing
    of a night's features. Only a full build writes them: later nights score every customer,
    and their scoring rows are the history the next training replays. -#}
{{
    config(
        materialized='incremental',
        **incremental_by_date('as_of_date')
    )
}}

{%- set first_date = first_as_of_date_to_build() %}
{%- set window = declarations().drift_calibration %}

with

customers as (
    select * from {{ ref('int_customers') }}
),

as_of_dates as (
    {%- if window and window.days %}
    select as_of_date from (
        {{ as_of_date_series(dbt.dateadd('day', -window.days, score_date()),
                             dbt.dateadd('day', -1, score_date()), 1) }}
    ) as window_days
    {#- every day of the newest, every 7th day before (ml.training.training_set) #}
    where
        as_of_date
        >= {{ dbt.dateadd('day', -window.daily_days, score_date()) }}
        or {{ days_between('as_of_date', score_date()) }} % 7 = 0
    {%- else %}
    select cast(null as date) as as_of_date where false
    {%- endif %}
),

{#- The drift panel (ml.monitoring.calibration.PANEL_ORDER): the customers first by the md5 of
    their published id (the same order on DuckDB, on Spark and in Python), about 15% more of them
    than a date's panel keeps, counted against the base on the score date, so each date's panel is the reference's panel where it overlaps. #}
ranked_customers as (
    select
        customers.*,
        row_number() over (
            order by md5({{ published_customer_id('customers.customer_id') }}),
                {{ published_customer_id('customers.customer_id') }}
        ) as panel_rank
    from customers
),

sampled_customers as (
    select *
    from ranked_customers
    where panel_rank <= {{ (window.rows if window else 0) * 1.15 }}
        * (select count(*) from customers)
        / (select greatest(count(*), 1) from {{ ref('int_customer_dates_scoring_spine') }})
),

active_customer_dates as (
    select
        customers.customer_id,
        as_of_dates.as_of_date
    from as_of_dates
    cross join sampled_customers as customers
    where {{ is_active_at('customers', 'as_of_dates.as_of_date') }}
        {#- a night adds nothing (its scoring rows are the history); a backfill redoes its days #}
        {%- if is_incremental() and not run_setting('reload_from_date') %}
        and false
        {%- elif first_date %}
        and as_of_dates.as_of_date >= {{ first_date }}
        {%- endif %}
)

select * from active_customer_dates
