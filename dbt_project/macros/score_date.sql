{#- The as-of date of this run: the `score_date` var, else the day after the newest raw day. -#}
{% macro score_date() %}
    {%- if run_setting('score_date') -%}
        cast('{{ run_setting("score_date") }}' as date)
    {%- elif execute -%}
        {%- set newest = run_query("select max(day) from " ~ source('app', 'customers')).columns[0].values()[0] -%}
        {%- if newest is none -%}
            {{ exceptions.raise_compiler_error("No raw day folders found under SCORELINE_RAW_DIR: run `scoreline generate` or point SCORELINE_RAW_DIR at your data.") }}
        {%- endif -%}
        cast({{ dbt.dateadd('day', 1, "cast('" ~ newest ~ "' as date)") }} as date)
    {%- else -%}
        cast('1970-01-01' as date)
    {%- endif -%}
{% endmacro %}
