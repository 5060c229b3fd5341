{#- Earliest as-of date an incremental as-of-date model must (re)build, as a SQL date literal,
    or none for a full build. Rendered as a literal so the activity scan prunes row groups. -#}
{% macro first_as_of_date_to_build() %}
    {%- if not is_incremental() or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if run_setting('reload_from_date') -%}
        {{ return("cast('" ~ run_setting('reload_from_date') ~ "' as date)") }}
    {%- endif -%}
    {%- set newest = run_query("select max(as_of_date) from " ~ this).columns[0].values()[0] -%}
    {%- if newest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("cast(" ~ dbt.dateadd('day', 1, "cast('" ~ newest ~ "' as date)") ~ " as date)") }}
{% endmacro %}
