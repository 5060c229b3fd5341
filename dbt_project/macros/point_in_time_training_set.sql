{#- Labels joined to the features of the same (customer, as-of date): the training set of a model.
    Features come from the one feature table that scoring reads too, so the two cannot diverge. -#}
{% macro point_in_time_training_set(labels, features, feature_version) %}
with

labels as (
    select * from {{ labels }}
),

features as (
    select * from {{ features }}
),

labelled_features as (
    select
        features.*,
        labels.label_window_end_date,
        labels.label,
        {{ feature_version }} as feature_version
    from labels
    inner join features
        on labels.customer_id = features.customer_id
        and labels.as_of_date = features.as_of_date
)

select * from labelled_features
{% endmacro %}
