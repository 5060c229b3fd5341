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
