{#- dbt's hook for a test's `where` config. Tests in dbt_project.yml carry placeholders that
    become "only the rows this run built" when the `tests_since` var is set (nightly runs),
    and "all rows" otherwise (full builds, `dbt build` by hand). Released rows are immutable,
    so re-testing a year of history every night would only make the night grow with it. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set since = run_setting('tests_since') -%}
        {%- set where = where
            | replace('__loaded_this_run__', "loaded_date >= cast('" ~ since ~ "' as date)" if since else 'true')
            | replace('__as_of_built_this_run__', "as_of_date > cast('" ~ since ~ "' as date)" if since else 'true') -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The same scoping for singular tests, which take no `where` config. -#}
{% macro as_of_built_this_run() -%}
    {%- set since = run_setting('tests_since') -%}
    {{ "as_of_date > cast('" ~ since ~ "' as date)" if since else 'true' }}
{%- endmacro %}
