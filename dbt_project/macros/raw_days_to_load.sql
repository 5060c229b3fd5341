{#- Filter on a raw load-day column: days before the score date that are not loaded yet.
    A nightly run therefore reads one new day folder, not the whole history.

    The watermark is the newest day in raw_row_reconciliation, which every loader feeds and
    which is built after all of them: a model's own max would be empty for a table that
    happens to have no rows (a quarantine on a clean night) and would rescan all history.
    If a night fails midway the watermark stays put and the next run reloads the day;
    loaders are delete+insert on loaded_date, so that is idempotent. -#}
{% macro raw_days_to_load(column) %}
    {{ column }} < {{ score_date() }}
    {%- if is_incremental() %}
        {%- if run_setting('reload_from_date') %}
    and {{ column }} >= cast('{{ run_setting("reload_from_date") }}' as date)
        {%- elif execute %}
            {%- set watermark = adapter.get_relation(this.database, this.schema, 'raw_row_reconciliation') %}
            {%- if watermark is not none %}
                {%- set newest = run_query("select max(loaded_date) from " ~ watermark).columns[0].values()[0] %}
                {%- if newest is not none %}
    and {{ column }} > cast('{{ newest }}' as date)
                {%- endif %}
            {%- endif %}
        {%- endif %}
    {%- endif %}
{% endmacro %}
