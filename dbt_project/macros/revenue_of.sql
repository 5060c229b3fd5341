{#- Revenue in a row of per-activity columns: the sum of `<activity><suffix>` over the revenue
    activities of the vocabulary (0 when there are none). Kept as an expression, not a column:
    daily activity would otherwise aggregate every amount twice. -#}
{% macro revenue_of(relation, suffix) %}
    {%- set names = declarations().activities.items() | selectattr('1.revenue') | map(attribute='0') | list -%}
    ({% for name in names %}coalesce({{ relation }}.{{ name }}{{ suffix }}, 0){{ ' + ' if not loop.last }}{% else %}0{% endfor %})
{%- endmacro %}
