{#- The as-of date of this run: the `score_date` setting, else the day after the newest raw day of
    any table (a folder holding any table's file). Scoreline's runners always pass the date they
    resolved with the same rule (ml.ingest.raw_contract.default_score_date); the fallback serves dbt run
    by hand. -#}
{% macro score_date() %}
    {%- if run_setting('score_date') -%}
        cast('{{ run_setting("score_date") }}' as date)
    {%- elif execute -%}
        {%- set newest = newest_raw_day() -%}
        {%- if newest is none -%}
            {{ exceptions.raise_compiler_error("No raw day folders with files found under SCORELINE_RAW_DIR: run `scoreline generate` or point SCORELINE_RAW_DIR at your data.") }}
        {%- endif -%}
        cast({{ dbt.dateadd('day', 1, "cast('" ~ newest ~ "' as date)") }} as date)
    {%- else -%}
        cast('1970-01-01' as date)
    {%- endif -%}
{% endmacro %}

{#- The newest `day=YYYY-MM-DD` folder under SCORELINE_RAW_DIR holding a Parquet file of any
    table, from the file listing alone (no file is read). -#}
{% macro newest_raw_day() %}
    {{ return(adapter.dispatch('newest_raw_day', 'scoreline')()) }}
{% endmacro %}

{% macro default__newest_raw_day() %}
    {%- set raw_dir = env_var('SCORELINE_RAW_DIR', 'data/raw') -%}
    {%- set found = run_query(
        "select max(regexp_extract(file, 'day=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1)) "
        ~ "from glob('" ~ raw_dir ~ "/day=*/*.parquet')") -%}
    {%- set newest = found.columns[0].values()[0] -%}
    {{ return(newest or none) }}
{% endmacro %}

{#- The newest load day of the raw views (register_raw_source made them at the start of the run). #}
{% macro spark__newest_raw_day() %}
    {%- set found = run_query(
        "select cast(max(day) as string) from (select max(day) as day from raw.customers "
        ~ "union all select max(day) as day from raw.activities) as newest") -%}
    {{ return(found.columns[0].values()[0] or none) }}
{% endmacro %}
