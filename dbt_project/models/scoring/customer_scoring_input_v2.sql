{{ scoring_input(ref('customer_features', v=2), 2) }}
