{#- on-run-start (one hook per raw table): make a table's raw day folders readable as the `raw`
    source. DuckDB reads the files where they lie (the source's external_location), so it needs
    nothing. Spark gets a view `raw.<table>` over the same `day=*/<table>.parquet` files (files
    are listed at every query, so a new day folder is seen); the view adds the columns DuckDB's
    reader gives: `day` (from the folder name) and `file_row_number` (the row's position in its
    file, which identifies a raw row). -#}
{% macro register_raw_source(table) %}
    {{ return(adapter.dispatch('register_raw_source', 'scoreline')(table)) }}
{% endmacro %}

{% macro default__register_raw_source(table) %}{% endmacro %}

{% macro spark__register_raw_source(table) %}
    {%- do run_query('create schema if not exists raw') %}
    create or replace view raw.{{ table }} as
    select
        *,
        _metadata.row_index as file_row_number,
        cast(regexp_extract(_metadata.file_path, 'day=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date) as day
    from parquet.`{{ env_var('SCORELINE_RAW_DIR', 'data/raw') }}/day=*/{{ table }}.parquet`
{% endmacro %}
