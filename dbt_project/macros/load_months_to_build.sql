{#- The calendar months holding the raw load days this run reads, as [(first day, first day of
    the next month)], oldest first; [] at parse time, when there is nothing to read, or when the
    relation is not built yet (compiling without a warehouse, as the SQL linter does).
    union_by_load_month runs one query per month (see there for why). -#}
{% macro load_months_to_build(relation) %}
    {%- if not execute or load_relation(relation) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set bounds = run_query(
        "select min(loaded_date), max(loaded_date) from " ~ relation
        ~ " where " ~ raw_days_to_load('loaded_date')) -%}
    {%- set first = bounds.columns[0].values()[0] -%}
    {%- set last = bounds.columns[1].values()[0] -%}
    {%- if first is none -%}
        {{ return([]) }}
    {%- endif -%}
    {#- the first day of every month from first's to the one after last's #}
    {%- set starts = [] -%}
    {%- for offset in range((last.year - first.year) * 12 + last.month - first.month + 2) -%}
        {%- set index = first.month - 1 + offset -%}
        {%- do starts.append(modules.datetime.date(first.year + index // 12, index % 12 + 1, 1).isoformat()) -%}
    {%- endfor -%}
    {%- set months = [] -%}
    {%- for position in range(starts | length - 1) -%}
        {%- do months.append((starts[position], starts[position + 1])) -%}
    {%- endfor -%}
    {{ return(months) }}
{% endmacro %}
