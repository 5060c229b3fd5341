{{ scoring_input(ref('customer_features', v=1), 1) }}
