{#- The lifetime aggregates of int_customer_lifetime_aggregates, from the vocabulary: for every
    activity, and for all activities together under the prefix `activity`, the count, active
    days, first, last and previous active date, and the amount and quantity where the activity
    carries them; the latest amount of an activity that updates an attribute; the newest
    activity time (the audit column). Revenue is the amounts of the revenue activities, summed
    where it is read. Returns [{column, kind, activity, type}] (type for sums: bigint or double),
    kind one of sum, active_days, first_date, last_date, previous_date, latest_amount,
    latest_at, latest_timestamp. Only the ones some declared feature version reads
    (declarations().needs.lifetime, from ml.warehouse.feature_families.column_needs): each one costs a
    full build a pass over all history. -#}
{% macro lifetime_measures() %}
    {%- set needed = [] %}
    {%- for activity, need in declarations().needs.lifetime %}
        {%- do needed.append(activity ~ ':' ~ need) %}
    {%- endfor %}
    {%- set measures = [] %}
    {%- for measure in all_lifetime_measures() if (measure.activity ~ ':' ~ measure.need) in needed %}
        {%- do measures.append(measure) %}
    {%- endfor %}
    {{ return(measures) }}
{% endmacro %}

{#- Every lifetime aggregate the vocabulary allows (lifetime_measures keeps the needed ones);
    `need` is its name in needs.lifetime. #}
{% macro all_lifetime_measures() %}
    {%- set measures = [] %}
    {%- set activities = declarations().activities %}
    {%- for name in ['any'] + (activities.keys() | list | sort) %}
        {%- set prefix = 'activity' if name == 'any' else name %}
        {%- do measures.append({'column': prefix ~ '_count', 'kind': 'sum', 'need': 'count', 'activity': name, 'type': 'bigint'}) %}
        {%- for kind in ['active_days', 'first_date', 'last_date', 'previous_date'] %}
            {%- do measures.append({'column': prefix ~ '_' ~ kind, 'kind': kind, 'need': kind, 'activity': name}) %}
        {%- endfor %}
        {%- if name == 'any' %}
            {%- do measures.append({'column': 'last_activity_at', 'kind': 'latest_timestamp', 'need': 'latest_timestamp', 'activity': name}) %}
        {%- else %}
            {%- if activities[name].carries_amount %}
                {%- do measures.append({'column': name ~ '_amount', 'kind': 'sum', 'need': 'amount', 'activity': name, 'type': 'double'}) %}
            {%- endif %}
            {%- if activities[name].quantity %}
                {%- do measures.append({'column': name ~ '_quantity', 'kind': 'sum', 'need': 'quantity', 'activity': name, 'type': 'double'}) %}
            {%- endif %}
            {%- if activities[name].updates %}
                {%- do measures.append({'column': name ~ '_last_amount', 'kind': 'latest_amount', 'need': 'latest_amount', 'activity': name}) %}
                {%- do measures.append({'column': name ~ '_last_at', 'kind': 'latest_at', 'need': 'latest_at', 'activity': name}) %}
            {%- endif %}
        {%- endif %}
    {%- endfor %}
    {{ return(measures) }}
{% endmacro %}

{#- One piece per daily-activity row (`days`, with the spine's as_of_date in scope): what the
    row adds to each lifetime measure, as `lt_<measure>` columns (beside the daily columns the
    windows read). The previous-date piece carries the row's date when it opens a new active
    day: the candidates of the previous-active-date aggregate. #}
{% macro lifetime_pieces_from_days(days) %}
    {%- set items %}
    {%- for measure in lifetime_measures() %}
        {%- set count = days ~ '.' ~ ('activity' if measure.activity == 'any' else measure.activity) ~ '_count' %}
        {%- if measure.kind == 'sum' %}
        {{ days }}.{{ measure.column }} as lt_{{ measure.column }},
        {%- elif measure.kind == 'active_days' %}
        case when {{ is_new_active_day(days, measure.activity) }} then 1 else 0 end as lt_{{ measure.column }},
        {%- elif measure.kind in ('first_date', 'last_date') %}
        case when {{ count }} > 0 then {{ days }}.activity_date end as lt_{{ measure.column }},
        {%- elif measure.kind == 'previous_date' %}
        case when {{ is_new_active_day(days, measure.activity) }} then {{ days }}.activity_date end
            as lt_{{ measure.column }},
        {%- else %}
        {{ days }}.{{ measure.column }} as lt_{{ measure.column }},
        {%- endif %}
    {%- endfor %}
    {%- endset %}
    {{- return(select_items(items)) }}
{% endmacro %}

{#- The aggregates that merge pieces into lifetime measures (grouped by customer and as-of date).
    `for_combine`: also the newest new active day per activity (`<prefix>_newest_new_day`),
    which lifetime_combine needs: a late row of an already active day can be the delta's last
    date without being one of its new days. #}
{% macro lifetime_merge(pieces, for_combine=false) %}
    {%- set items %}
    {%- for measure in lifetime_measures() %}
        {%- set column = pieces ~ '.lt_' ~ measure.column %}
        {%- if measure.kind == 'sum' and measure.type == 'double' %}
        cast(coalesce(sum({{ column }}), 0) as {{ type_double() }}) as {{ measure.column }},
        {%- elif measure.kind in ('sum', 'active_days') %}
        cast(coalesce(sum({{ column }}), 0) as bigint) as {{ measure.column }},
        {%- elif measure.kind == 'first_date' %}
        min({{ column }}) as {{ measure.column }},
        {%- elif measure.kind in ('last_date', 'latest_at', 'latest_timestamp') %}
        max({{ column }}) as {{ measure.column }},
        {%- elif measure.kind == 'previous_date' %}
        {{ second_largest(column) }} as {{ measure.column }},
        {%- if for_combine %}
        max({{ column }}) as {{ measure.column | replace('_previous_date', '_newest_new_day') }},
        {%- endif %}
        {%- elif measure.kind == 'latest_amount' %}
        {{ value_at_latest(column, pieces ~ '.lt_' ~ measure.activity ~ '_last_at') }} as {{ measure.column }},
        {%- endif %}
    {%- endfor %}
    {%- endset %}
    {{- return(select_items(items)) }}
{% endmacro %}

{#- A stored lifetime row (`base`) and the aggregate of the activity it lacks (`delta`, from
    lifetime_merge(for_combine=true); null when there is none) combined into one, column by
    column. The delta's new active days are never active days of the stored row
    (is_new_active_day), so the previous active date is the second of the stored (last,
    previous) and the delta's two newest new days, merged. #}
{% macro lifetime_combine(base, delta) %}
    {%- set items %}
    {%- for measure in lifetime_measures() %}
        {%- set b, d = base ~ '.' ~ measure.column, delta ~ '.' ~ measure.column %}
        {%- set prefix = 'activity' if measure.activity == 'any' else measure.activity %}
        {%- if measure.kind in ('sum', 'active_days') %}
        coalesce({{ b }}, 0) + coalesce({{ d }}, 0) as {{ measure.column }},
        {%- elif measure.kind == 'first_date' %}
        least({{ b }}, {{ d }}) as {{ measure.column }},
        {%- elif measure.kind in ('last_date', 'latest_at', 'latest_timestamp') %}
        greatest({{ b }}, {{ d }}) as {{ measure.column }},
        {%- elif measure.kind == 'previous_date' %}
        {%- set b_last, d_new = base ~ '.' ~ prefix ~ '_last_date', delta ~ '.' ~ prefix ~ '_newest_new_day' %}
        case
            when {{ d_new }} is null then {{ b }}
            when {{ b_last }} is null then {{ d }}
            when {{ b_last }} > {{ d_new }} then greatest({{ b }}, {{ d_new }})
            else greatest({{ b_last }}, {{ d }})
        end as {{ measure.column }},
        {%- elif measure.kind == 'latest_amount' %}
        {%- set b_at, d_at = base ~ '.' ~ measure.activity ~ '_last_at', delta ~ '.' ~ measure.activity ~ '_last_at' %}
        case
            when {{ d_at }} is not null and ({{ b_at }} is null or {{ d_at }} >= {{ b_at }}) then {{ d }}
            else {{ b }}
        end as {{ measure.column }},
        {%- endif %}
    {%- endfor %}
    {%- endset %}
    {{- return(select_items(items)) }}
{% endmacro %}
