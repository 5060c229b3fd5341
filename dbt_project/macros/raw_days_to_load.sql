{#- Filter on a raw load-day column: days before the score date that this build has not loaded.
    A nightly run therefore reads one new day folder, not the whole history. -#}
{% macro raw_days_to_load(column) %}
    {{ column }} < {{ score_date() }}
    {%- if is_incremental() %}
        {%- if var('reload_from_date') %}
    and {{ column }} >= cast('{{ var("reload_from_date") }}' as date)
        {%- elif execute %}
            {%- set newest = run_query("select max(loaded_date) from " ~ this).columns[0].values()[0] %}
            {%- if newest is not none %}
    and {{ column }} > cast('{{ newest }}' as date)
            {%- endif %}
        {%- endif %}
    {%- endif %}
{% endmacro %}
