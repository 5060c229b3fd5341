{{ point_in_time_training_set(ref('payment_failure_labels'), ref('customer_features', v=2), 2) }}
