{#- Lifetime aggregates per (customer, as-of date) on the feature spine, over activity dated before
    the as-of date since the customer was first seen: counts, active days, amounts, first, last
    and previous active dates, the latest amount of an attribute-updating activity, the newest
    activity time. Only what some declared feature version reads (declarations().needs.lifetime):
    each aggregate costs a full build a pass over all history. Shared feature logic of the
    declared versions (tag feature_logic: part of their fingerprints). -#}
{#- Maintained incrementally, so a night's cost does not grow with history: a night continues
    from the rows stored for the previous as-of date B (loaded through day W_B) and adds only the
    daily activity they lack, rows dated on or after B or loaded after W_B. Customers with
    nothing stored (new ones, and every customer in a full build) are aggregated from scratch:
    on the score date per customer, on earlier dates through the spine join (the shapes of
    activity_windows). Every spine row gets a row, so the next night finds every customer.
    (Windows stay in the feature versions: computed here as well, a night wrote them twice,
    1.5 s more, and a full build evaluated their filters over all history, not the lookback.) -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        tags=['feature_logic'],
        **incremental_by_date('as_of_date')
    )
}}

{#- read by the nights' look-up of their new customers, which dbt does not see while parsing #}
-- depends_on: {{ ref('int_customers') }}

{%- if execute and is_incremental() %}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
    {%- set missing = lifetime_measures() | map(attribute='column') | reject('in', stored) | list %}
    {%- if missing %}
        {{ exceptions.raise_compiler_error(
            "int_customer_lifetime_aggregates lacks " ~ missing | join(', ') ~ ", which a declared "
            "feature version now reads: its history must be computed, so rebuild with "
            "`scoreline build --full-refresh`") }}
    {%- endif %}
{%- endif %}
{%- set first_date = first_as_of_date_to_build() %}
{%- set base = lifetime_base(first_date) %}
{%- set score = score_date() %}


with

spine as {{ not_materialized() }} (
    select customer_id, as_of_date from {{ ref('int_customer_dates_feature_spine') }}
    {% if first_date %}where as_of_date >= {{ first_date }}{% endif %}
),

customer_days as {{ not_materialized() }} (
    select * from {{ ref('int_activities_aggregated_to_customer_days') }}
),

{% if base %}
base as {{ not_materialized() }} (
    select * from {{ this }}
    where as_of_date = {{ base.as_of_date }}
),

based_spine as {{ not_materialized() }} (
    select spine.* from spine
    semi join base
        on spine.customer_id = base.customer_id
),

fresh_spine as {{ not_materialized() }} (
    select spine.* from spine
    anti join base
        on spine.customer_id = base.customer_id
),
{%- else %}
fresh_spine as {{ not_materialized() }} (
    select * from spine
),
{%- endif %}

{#- A night aggregates from scratch only its new customers: their activity starts on the day
    they were first seen (staging rejects earlier activity), so the scan starts there. #}
{%- set fresh_since = none %}
{%- if base and execute %}
    {%- set fresh_since = run_query(
        "with spine as (select customer_id from " ~ ref('int_customer_dates_feature_spine')
        ~ " where as_of_date >= " ~ first_date ~ "), base as (select customer_id from " ~ this
        ~ " where as_of_date = " ~ base.as_of_date ~ ") select min(cast(customers.first_seen_at as date)) from "
        ~ ref('int_customers') ~ " as customers semi join (select * from spine anti join base on spine.customer_id = base.customer_id) as fresh "
        ~ "on customers.customer_id = fresh.customer_id").columns[0].values()[0] %}
{%- endif %}

fresh_days as {{ not_materialized() }} (
    select * from customer_days
    {%- if base %}
    where activity_date >= {{ "cast('" ~ fresh_since ~ "' as date)" if fresh_since else score }}
    {%- endif %}
),

{#- From scratch, the score date: aggregate each customer's history, then keep the spine's
    customers (the shape of activity_windows' score-date branch). #}
fresh_on_the_score_date as (
    select
        fresh_spine.customer_id,
        fresh_spine.as_of_date,
        {%- for measure in lifetime_measures() %}
        {#- a customer without activity: 0 where the other branches' merge gives 0 #}
        {%- if measure.kind in ('sum', 'active_days') %}
        coalesce(per_customer.{{ measure.column }}, 0) as {{ measure.column }}
        {%- else %}
        per_customer.{{ measure.column }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from fresh_spine
    left join (
        select
            pieces.customer_id,
            {{- lifetime_merge('pieces') }}
        from (
            select
                fresh_days.*,
                {{- lifetime_pieces_from_days('fresh_days') }}
            from fresh_days
            -- point in time: only activity dated before the as-of date, i.e. before its midnight
            where fresh_days.activity_date < {{ score }}
        ) as pieces
        group by 1
    ) as per_customer
        on fresh_spine.customer_id = per_customer.customer_id
    where fresh_spine.as_of_date = {{ score }}
),

{#- From scratch, earlier as-of dates (training dates): the spine joins its customers' activity. #}
fresh_before_the_score_date as (
    select
        pieces.spine_customer_id as customer_id,
        pieces.spine_as_of_date as as_of_date,
        {{- lifetime_merge('pieces') }}
    from (
        select
            fresh_spine.customer_id as spine_customer_id,
            fresh_spine.as_of_date as spine_as_of_date,
            fresh_days.*,
            {{- lifetime_pieces_from_days('fresh_days') }}
        from fresh_spine
        left join fresh_days
            on fresh_spine.customer_id = fresh_days.customer_id
            -- point in time: only activity dated before the as-of date
            and fresh_spine.as_of_date > fresh_days.activity_date
        where fresh_spine.as_of_date <> {{ score }}
    ) as pieces
    group by 1, 2
),

{% if base %}
{#- Customers stored at B: B's aggregates combined with the aggregate of the activity they lack
    (see the header). Most customers have none on a given night: their row passes through. #}
new_activity as (
    select
        pieces.customer_id,
        pieces.as_of_date,
        {{- lifetime_merge('pieces', for_combine=true) }}
    from (
        select based_spine.customer_id, based_spine.as_of_date,
            {{- lifetime_pieces_from_days('new_days') }}
        from based_spine
        inner join (
            select * from customer_days
            {#- implied by the condition below; a plain range, so the scan skips history #}
            where loaded_date >= least({{ base.as_of_date }}, {{ base.loaded_through_date }} + 1)
                and (
                    activity_date >= {{ base.as_of_date }}
                    or loaded_date > {{ base.loaded_through_date }}
                )
        ) as new_days
            on based_spine.customer_id = new_days.customer_id
            -- point in time: only activity dated before the as-of date
            and based_spine.as_of_date > new_days.activity_date
    ) as pieces
    group by 1, 2
),

continued_from_the_stored_date as (
    select
        based_spine.customer_id,
        based_spine.as_of_date,
        {{- lifetime_combine('base', 'new_activity') }}
    from based_spine
    inner join base
        on based_spine.customer_id = base.customer_id
    left join new_activity
        on based_spine.customer_id = new_activity.customer_id
        and based_spine.as_of_date = new_activity.as_of_date
),
{%- endif %}

lifetime_aggregates as (
    select * from fresh_on_the_score_date
    union all
    select * from fresh_before_the_score_date
    {%- if base %}
    union all
    select * from continued_from_the_stored_date
    {%- endif %}
)

select
    lifetime_aggregates.*,
    {#- the load watermark these aggregates include; the next night continues from it #}
    (
        select max(daily.loaded_date)
        from {{ ref('int_activities_aggregated_to_customer_days') }} as daily
    ) as loaded_through_date
from lifetime_aggregates
