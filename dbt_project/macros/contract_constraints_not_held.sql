{#- The body of the enforces_contract_constraints test (tests/generic): DuckDB's catalog holds the
    constraints, so it is read; Spark's Parquet tables hold none, so the rows are read, and a
    returned row is a constraint some rows break. -#}
{% macro default__contract_constraints_not_held(model, expected_not_null, expected_checks) %}
with

expected_not_null as (
    {%- for column_name in expected_not_null %}
    select '{{ column_name }}' as column_name
    {%- if not loop.last %} union all{% endif %}
    {%- else %}
    select null as column_name where false
    {%- endfor %}
),

enforced_not_null as (
    select column_name
    from duckdb_columns()
    where database_name = '{{ model.database }}'
        and schema_name = '{{ model.schema }}'
        and table_name = '{{ model.identifier }}'
        and not is_nullable
),

missing_not_null as (
    select
        '{{ model.identifier }}' as table_name,
        expected_not_null.column_name,
        'contract says not_null; the table accepts nulls: rebuild with --full-refresh' as problem
    from expected_not_null
    anti join enforced_not_null
        on expected_not_null.column_name = enforced_not_null.column_name
),

missing_checks as (
    select
        '{{ model.identifier }}' as table_name,
        cast(null as {{ dbt.type_string() }}) as column_name,
        'contract declares {{ expected_checks | length }} check constraints; the table has '
            || count(*) || ': rebuild with --full-refresh' as problem
    from duckdb_constraints()
    where database_name = '{{ model.database }}'
        and schema_name = '{{ model.schema }}'
        and table_name = '{{ model.identifier }}'
        and constraint_type = 'CHECK'
    having count(*) < {{ expected_checks | length }}
)

select * from missing_not_null
union all
select * from missing_checks
{% endmacro %}

{% macro spark__contract_constraints_not_held(model, expected_not_null, expected_checks) %}
select * from (
    {%- for column_name in expected_not_null %}
    select
        '{{ model.identifier }}' as table_name,
        '{{ column_name }}' as column_name,
        'contract says not_null; ' || count(*) || ' rows are null' as problem
    from {{ model }}
    where {{ column_name }} is null
    having count(*) > 0
    union all
    {%- endfor %}
    {%- for expression in expected_checks %}
    select
        '{{ model.identifier }}' as table_name,
        cast(null as {{ dbt.type_string() }}) as column_name,
        'contract check {{ expression | replace("'", "") }} fails on ' || count(*) || ' rows' as problem
    from {{ model }}
    where not ({{ expression }})
    having count(*) > 0
    union all
    {%- endfor %}
    select null as table_name, null as column_name, null as problem where false
) as not_held
{% endmacro %}
