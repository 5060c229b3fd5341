{#- A returned row is a contract constraint (not_null, check) that the feature table lacks. The
    null policy and ranges are constraints the warehouse enforces on every insert (a bad feature
    never lands), not tests re-reading the night's rows; a table created before a constraint
    was added lacks it until `scoreline build --full-refresh`, and this says so. Configure it
    with `where: ""`: it reads the catalog, not the rows. -#}
{% test enforces_contract_constraints(model) %}
{%- set expected_not_null, expected_checks = [], [] %}
{%- if execute %}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and (node.alias or node.name) == model.identifier %}
        {%- for column in node.columns.values() %}
            {%- for constraint in column.constraints %}
                {%- if constraint.type == 'not_null' %}
                    {%- do expected_not_null.append(column.name) %}
                {%- elif constraint.type == 'check' %}
                    {%- do expected_checks.append(constraint.expression) %}
                {%- endif %}
            {%- endfor %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

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
        cast(null as varchar) as column_name,
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
{% endtest %}
