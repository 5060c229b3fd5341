{#- Bit positions of activities in `earlier_activity_bits` (daily activity): bit 0 means "the
    customer was already active that day in an earlier load", bit i + 1 the i-th declared
    activity (the vocabulary's names in sorted order; a vocabulary change is a full refresh). -#}
{% macro activity_bit(activity) %}
    {%- if activity == 'any' -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set names = declarations().activities.keys() | list | sort -%}
    {{ return(2 ** (names.index(activity) + 1)) }}
{% endmacro %}

{#- True when a daily-activity row opens a new active day for `activity` ('any' or a name): the
    customer did it that day and no earlier load of the same day already held it. On-time rows
    always do (nothing can load a day before it happens); late rows carry earlier loads' bits. -#}
{% macro is_new_active_day(relation, activity) %}
    {%- set count = relation ~ '.' ~ ('activity_count' if activity == 'any' else activity ~ '_count') -%}
    ({{ count }} > 0 and ({{ relation }}.earlier_activity_bits & {{ activity_bit(activity) }}) = 0)
{%- endmacro %}
