{#- The business vocabulary and every spec's label, as Scoreline's runners pass them
    (SCORELINE_DECLARATIONS, JSON; see ml.ingest.business.declarations_for_dbt). Read only while
    executing: at parse time nothing here is known, and models render an empty shape.
    Keys: customer_attributes, activities (each with revenue, amount, quantity, ends_contract,
    updates, carries_amount), activity_attributes, ending_activity, labels, drift_calibration (the
    days and rows per day drift calibration replays), and needs (what the
    declared feature versions and labels read: lifetime aggregates, non-revenue amounts, counts). -#}
{% macro declarations() %}
    {%- set empty = {
        'business': none, 'customer_attributes': {}, 'activities': {}, 'activity_attributes': {},
        'ending_activity': none, 'labels': {}, 'drift_calibration': {'days': 0, 'rows': 0, 'daily_days': 0},
        'needs': {'lifetime': [], 'amounts': [], 'counts': []}} -%}
    {%- if not execute -%}
        {{ return(empty) }}
    {%- endif -%}
    {%- set text = env_var('SCORELINE_DECLARATIONS', '') -%}
    {%- if not text -%}
        {{ exceptions.raise_compiler_error(
            "SCORELINE_DECLARATIONS is not set: Scoreline passes the business vocabulary and the "
            "specs' labels to dbt through it. Run dbt through `scoreline dbt -- <args>`, or "
            "`eval \"$(scoreline env)\"` first.") }}
    {%- endif -%}
    {{ return(fromjson(text)) }}
{% endmacro %}
