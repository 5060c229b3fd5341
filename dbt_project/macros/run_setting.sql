{#- A per-run setting (score_date, reload_from_date, tests_since): the dbt var when given by hand
    (`--vars`), else SCORELINE_<NAME> from the environment, which Scoreline's runners set.
    Why not always vars: any change of --vars makes dbt re-parse the whole project (~6 s per
    invocation, every night and every test). An env var read only while executing is not part
    of the parse, so partial parsing survives a new score date. -#}
{% macro run_setting(name) %}
    {%- set value = var(name, none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('SCORELINE_' ~ (name | upper), '') or none -%}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
