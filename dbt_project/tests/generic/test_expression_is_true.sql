{#- Fails on rows where the boolean expression is false or null. On a column, the column only
    names where the claim lives; the expression says it. -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% endtest %}
