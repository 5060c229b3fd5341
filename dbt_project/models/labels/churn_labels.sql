{#- Churn label: one row per training-spine (customer, as-of date) whose label window has fully
    passed. label = 1 when the customer cancels in [as-of date, as-of date + horizon). -#}
{{ churn_label(ref('int_customer_dates_training_spine')) }}
