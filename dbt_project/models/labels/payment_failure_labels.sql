{#- Payment-failure label: one row per training-spine (customer, as-of date) whose label window
    has fully passed. label = 1 when a payment fails in [as-of date, as-of date + horizon). -#}
{{ payment_failure_label(ref('int_customer_dates_training_spine')) }}
