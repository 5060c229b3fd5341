{#- True when the customer is in the base at the as-of moment: first seen before it, and (for a
    contractual business) the contract not ended before it. -#}
{% macro is_active_at(customers, as_of) %}
    ({{ customers }}.first_seen_at < {{ as_of }}
    and ({{ customers }}.contract_ended_at is null or {{ customers }}.contract_ended_at >= {{ as_of }}))
{% endmacro %}
