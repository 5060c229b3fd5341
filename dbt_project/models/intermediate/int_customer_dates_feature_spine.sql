{#- Every (customer, as-of date) that needs features: the training dates, the drift calibration
    window's days (a sample) and the score date. Features are computed once over this spine, so
    training, calibration and scoring share one definition. -#}
{{ config(materialized='view') }}

with

training_spine as (
    select customer_id, as_of_date from {{ ref('int_customer_dates_training_spine') }}
),

calibration_spine as (
    select customer_id, as_of_date from {{ ref('int_customer_dates_calibration_spine') }}
),

scoring_spine as (
    select customer_id, as_of_date from {{ ref('int_customer_dates_scoring_spine') }}
),

feature_spine as (
    select customer_id, as_of_date from training_spine
    union
    select customer_id, as_of_date from calibration_spine
    union
    select customer_id, as_of_date from scoring_spine
)

select * from feature_spine
