{#- The config of a model incremental on a date column (`loaded_date` or `as_of_date`): a run
    replaces the dates it built, so a rerun or a backfill of a date is idempotent. DuckDB deletes
    those dates and inserts; Spark's Parquet tables have no delete, so the table is partitioned by
    the date and the run overwrites the partitions it wrote (dynamic partition overwrite, set in
    the profile). Usage: config(materialized='incremental', ..., **incremental_by_date('as_of_date')) -#}
{% macro incremental_by_date(column) %}
    {{ return(adapter.dispatch('incremental_by_date', 'scoreline')(column)) }}
{% endmacro %}

{% macro default__incremental_by_date(column) %}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': column}) }}
{% endmacro %}

{% macro spark__incremental_by_date(column) %}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [column], 'file_format': 'parquet'}) }}
{% endmacro %}
