{#- The one definition of every label kind, for any spine with (customer_id, as_of_date) in the
    warehouse's id type: the training spine, or the published score dates whose realized
    performance is measured. `label` is a spec's label declaration (ml/training/specs.py: kind,
    horizon_days, activity, activities). One row per spine row whose label window
    [as-of date, as-of date + horizon) has fully passed the score date, so no label is unripe:
      contractual_churn  1 when the customer's contract ends in the window
      event_in_horizon   1 when the declared activity happens in the window
      lapse              1 when no qualifying activity (any, or the declared ones) happens
    A new kind is a branch here; every spec declaring it, and every guard, follows. -#}
{% macro label_rows(model_name, label, spine) %}
{%- set horizon = label.horizon_days %}
{%- set window_end = dbt.dateadd('day', horizon, 'spine.as_of_date') %}

select
    '{{ model_name }}' as model_name,
    -- ids
    {{ published_customer_id('spine.customer_id') }} as customer_id,
    -- numerics
    cast(
        {%- if label.kind == 'contractual_churn' %}
        case
            when customers.contract_ended_at >= spine.as_of_date
                and customers.contract_ended_at < {{ window_end }}
                then 1
            else 0
        end
        {%- elif label.kind in ('event_in_horizon', 'lapse') %}
        case when in_window.customer_id is {{ 'not ' if label.kind == 'event_in_horizon' }}null then 1 else 0 end
        {%- else %}
        {{ exceptions.raise_compiler_error("label kind '" ~ label.kind ~ "' of " ~ model_name ~ " has no definition in label_rows") }}
        {%- endif %}
        as integer
    ) as label,
    -- dates
    spine.as_of_date,
    cast({{ window_end }} as date) as label_window_end_date
from {{ spine }} as spine
{%- if label.kind == 'contractual_churn' %}
inner join {{ ref('int_customers') }} as customers
    on spine.customer_id = customers.customer_id
{%- else %}
{%- set qualifying = [label.activity] if label.kind == 'event_in_horizon' else (label.activities or []) %}
left join (
    select distinct spine.customer_id, spine.as_of_date
    from {{ spine }} as spine
    inner join {{ ref('int_activities_aggregated_to_customer_days') }} as customer_days
        on spine.customer_id = customer_days.customer_id
        and customer_days.activity_date >= spine.as_of_date
        and customer_days.activity_date < {{ window_end }}
    where {% for name in qualifying %}customer_days.{{ name }}_count > 0{{ ' or ' if not loop.last }}{% else %}customer_days.activity_count > 0{% endfor %}
) as in_window
    on spine.customer_id = in_window.customer_id
    and spine.as_of_date = in_window.as_of_date
{%- endif %}
-- only as-of dates whose whole label window lies before the score date: no unripe labels
where {{ window_end }} <= {{ score_date() }}
{% endmacro %}
