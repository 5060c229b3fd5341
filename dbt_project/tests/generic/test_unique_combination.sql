{#- Fails on each combination of the columns that appears more than once (the model's grain). -#}
{% test unique_combination(model, combination) %}
select
    {{ combination | join(', ') }},
    count(*) as rows_with_this_key
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
