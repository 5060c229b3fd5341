{#- One row per raw table and reject reason: how many rows were quarantined and when last. -#}
{%- set tables = ['customers', 'activities'] %}

with

{% for table in tables %}
rejected_{{ table }} as (
    select
        '{{ table }}' as table_name,
        reject_reason,
        count(*) as rejected_rows,
        max(loaded_date) as last_loaded_date
    from {{ ref('stg_raw__' ~ table ~ '_rejected') }}
    group by 1, 2
),

{% endfor %}
summary as (
    {% for table in tables %}
    select * from rejected_{{ table }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from summary
