{#- A returned row is a label whose window ends after the score date.
    Its outcome is not known yet, so it would teach the model that unknown outcomes are "no". -#}
{% test label_window_passed(model) %}
select customer_id, as_of_date, label_window_end_date
from {{ model }}
where label_window_end_date > {{ score_date() }}
{% endtest %}
