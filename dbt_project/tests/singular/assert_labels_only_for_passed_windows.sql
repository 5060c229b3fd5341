-- A returned row is a label whose window ends after the score date.
-- Its outcome is not known yet, so it would teach the model that unknown outcomes are "no".
{% for labels in ['churn_labels', 'payment_failure_labels'] %}
select '{{ labels }}' as label_model, customer_id, as_of_date, label_window_end_date
from {{ ref(labels) }}
where label_window_end_date > {{ score_date() }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
