{{ point_in_time_training_set(ref('churn_labels'), ref('customer_features', v=2), 2) }}
