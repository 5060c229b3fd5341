-- A returned row is a feature row whose newest input event is at or after its as-of date.
-- Such a feature leaks the future into training: the model would learn from what it cannot see.
{% for version in [1, 2] %}
select {{ version }} as feature_version, customer_id, as_of_date, last_event_at
from {{ ref('customer_features', v=version) }}
where last_event_at >= as_of_date
    and {{ as_of_built_this_run() }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
