{#- True when the customer had signed up before, and not cancelled before, the as-of moment. -#}
{% macro is_active_at(customers, as_of) %}
    ({{ customers }}.signup_at < {{ as_of }}
    and ({{ customers }}.cancelled_at is null or {{ customers }}.cancelled_at >= {{ as_of }}))
{% endmacro %}
