{#- The leakage guard. A returned row is a feature row holding a timestamp at or after its as-of
    date: a feature read the future, and a model trained on it learns from what it cannot see.
    Every feature model carries it at its top level, so every version inherits it; a version
    without an audit timestamp (the newest activity its features read) fails it too.
    Configure it with `where: ""`: it scopes itself to the rows this run built, and needs the
    table itself to find its timestamp columns. -#}
{% test no_activity_at_or_after_as_of_date(model) %}
{%- set audit = [] %}
{%- if execute %}
    {%- for column in adapter.get_columns_in_relation(model)
        if column.dtype | lower in ('timestamp', 'timestamp with time zone', 'timestamp_ns') %}
        {%- do audit.append(column.name) %}
    {%- endfor %}
{%- endif %}
{%- if execute and not audit %}
select
    '{{ model.identifier }}' as feature_table,
    'no audit timestamp: a feature version must carry the time of the newest activity it read'
        as problem
{%- else %}
select customer_id, as_of_date{% for column in audit %}, {{ column }}{% endfor %}
from {{ model }}
where (false{% for column in audit %} or {{ column }} >= as_of_date{% endfor %})
    and {{ as_of_built_this_run() }}
{%- endif %}
{% endtest %}
