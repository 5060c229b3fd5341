{#- Post-hook of daily activity: a late row (an activity dated before the day its file arrived)
    gets the bits of the activities its customer already had on that date in earlier loads, so
    active-day counts never count one day twice (see is_new_active_day). On-time rows need no
    look-up, and late rows are rare: when a run loaded none, this is one cheap count. -#}
{% macro mark_late_activity_days() %}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set late_rows = "select customer_id, activity_date, loaded_date from " ~ this
        ~ " where activity_date < loaded_date and " ~ raw_days_to_load('loaded_date') -%}
    {%- set found = run_query("select count(*) from (" ~ late_rows ~ ") as late").columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set names = declarations().activities.keys() | select('in', declarations().needs.counts) | list | sort -%}
    {%- set bits -%}
        1 {%- for name in names %} | (case when earlier.{{ name }}_count > 0 then {{ activity_bit(name) }} else 0 end){% endfor %}
    {%- endset -%}
    {{ return(adapter.dispatch('update_late_activity_bits', 'scoreline')(late_rows, bits)) }}
{% endmacro %}

{% macro default__update_late_activity_bits(late_rows, bits) %}
    {%- set sql -%}
    update {{ this }} as days
    set earlier_activity_bits = marked.bits
    from (
        select late.customer_id, late.activity_date, late.loaded_date, bit_or({{ bits }}) as bits
        from ({{ late_rows }}) as late
        inner join {{ this }} as earlier
            on earlier.customer_id = late.customer_id
            and earlier.activity_date = late.activity_date
            and earlier.loaded_date < late.loaded_date
        group by 1, 2, 3
    ) as marked
    where days.customer_id = marked.customer_id
        and days.activity_date = marked.activity_date
        and days.loaded_date = marked.loaded_date
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}

{#- Spark's Parquet tables take no UPDATE, and an overwrite cannot read the table it replaces: a
    run that loads late rows stops with what to do, instead of counting an active day twice. #}
{% macro spark__update_late_activity_bits(late_rows, bits) %}
    {{ exceptions.raise_compiler_error(
        "This run loaded activities dated before the day their file arrived (late rows). On "
        ~ "Spark, Scoreline cannot yet mark their active days (it needs an UPDATE, which Spark's "
        ~ "Parquet tables lack): build this warehouse on DuckDB, or move the late rows into the "
        ~ "day folder of their activity date.") }}
{% endmacro %}
