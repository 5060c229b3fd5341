{#- The lifetime aggregates of int_customer_lifetime_aggregates, from the vocabulary: for every
    activity, and for all activities together under the prefix `activity`, the count, active
    days, first, last and previous active date, and the amount and quantity where the activity
    carries them; the revenue; the latest amount of an activity that updates an attribute.
    Returns [{column, kind, activity, type}] (type for sums: bigint or double), kind one of sum, active_days, first_date, last_date,
    previous_date, latest_amount, latest_at, latest_timestamp. -#}
{% macro lifetime_measures() %}
    {%- set measures = [] %}
    {%- set activities = declarations().activities %}
    {%- for name in ['any'] + (activities.keys() | list | sort) %}
        {%- set prefix = 'activity' if name == 'any' else name %}
        {%- do measures.append({'column': prefix ~ '_count', 'kind': 'sum', 'activity': name, 'type': 'bigint'}) %}
        {%- for kind in ['active_days', 'first_date', 'last_date', 'previous_date'] %}
            {%- do measures.append({'column': prefix ~ '_' ~ kind, 'kind': kind, 'activity': name}) %}
        {%- endfor %}
        {%- if name == 'any' %}
            {%- do measures.append({'column': 'revenue', 'kind': 'sum', 'activity': name, 'type': 'double'}) %}
            {%- do measures.append({'column': 'last_activity_at', 'kind': 'latest_timestamp', 'activity': name}) %}
        {%- else %}
            {%- if activities[name].carries_amount %}
                {%- do measures.append({'column': name ~ '_amount', 'kind': 'sum', 'activity': name, 'type': 'double'}) %}
            {%- endif %}
            {%- if activities[name].quantity %}
                {%- do measures.append({'column': name ~ '_quantity', 'kind': 'sum', 'activity': name, 'type': 'double'}) %}
            {%- endif %}
            {%- if activities[name].updates %}
                {%- do measures.append({'column': name ~ '_last_amount', 'kind': 'latest_amount', 'activity': name}) %}
                {%- do measures.append({'column': name ~ '_last_at', 'kind': 'latest_at', 'activity': name}) %}
            {%- endif %}
        {%- endif %}
    {%- endfor %}
    {{ return(measures) }}
{% endmacro %}

{#- One piece per daily-activity row (`days`, with the spine's as_of_date in scope): what the
    row adds to each lifetime measure. `candidate` columns carry the row's date when it opens a
    new active day, for the previous-active-date aggregate. #}
{% macro lifetime_pieces_from_days(days) %}
    {%- for measure in lifetime_measures() %}
        {%- set count = days ~ '.' ~ ('activity' if measure.activity == 'any' else measure.activity) ~ '_count' %}
        {%- if measure.kind == 'sum' %}
        {{ days }}.{{ measure.column }} as {{ measure.column }},
        {%- elif measure.kind == 'active_days' %}
        case when {{ is_new_active_day(days, measure.activity) }} then 1 else 0 end as {{ measure.column }},
        {%- elif measure.kind in ('first_date', 'last_date') %}
        case when {{ count }} > 0 then {{ days }}.activity_date end as {{ measure.column }},
        {%- elif measure.kind == 'previous_date' %}
        case when {{ is_new_active_day(days, measure.activity) }} then {{ days }}.activity_date end
            as {{ measure.column }},
        {%- else %}
        {{ days }}.{{ measure.column }} as {{ measure.column }},
        {%- endif %}
    {%- endfor %}
{% endmacro %}

{#- Two pieces per stored lifetime row (`base`): `which` = 'last' carries every aggregate, with the
    last active date as the previous-date candidate; 'previous' adds only the stored previous
    date as a candidate. #}
{% macro lifetime_pieces_from_base(base, which) %}
    {%- for measure in lifetime_measures() %}
        {%- set prefix = 'activity' if measure.activity == 'any' else measure.activity %}
        {%- if measure.kind == 'previous_date' %}
        {{ base }}.{{ prefix ~ ('_last_date' if which == 'last' else '_previous_date') }} as {{ measure.column }},
        {%- elif which == 'last' %}
        {{ base }}.{{ measure.column }} as {{ measure.column }},
        {%- elif measure.kind in ('sum', 'active_days') %}
        0 as {{ measure.column }},
        {%- else %}
        null as {{ measure.column }},
        {%- endif %}
    {%- endfor %}
{% endmacro %}

{#- The aggregates that merge pieces into lifetime measures (grouped by customer and as-of date). #}
{% macro lifetime_merge(pieces) %}
    {%- for measure in lifetime_measures() %}
        {%- set column = pieces ~ '.' ~ measure.column %}
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
        {%- elif measure.kind == 'latest_amount' %}
        {{ value_at_latest(column, pieces ~ '.' ~ measure.activity ~ '_last_at') }} as {{ measure.column }},
        {%- endif %}
    {%- endfor %}
{% endmacro %}
