-- A returned row is a feature column whose contract says never null but whose warehouse table
-- accepts nulls. The null policy is a not_null constraint that DuckDB enforces on every insert
-- (a null feature fails the build before it lands), not a test per column; a table created
-- before a constraint was added lacks it until `scoreline build --full-refresh`, and this says so.
{%- set expected = [] %}
{%- for version in [1, 2] %}
    {%- set relation = ref('customer_features', v=version) %}
    {%- if execute %}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.name == 'customer_features'
            and node.version | string == version | string %}
            {%- for column in node.columns.values()
                if column.constraints | selectattr('type', 'equalto', 'not_null') | list %}
                {%- do expected.append((relation.identifier, column.name)) %}
            {%- endfor %}
        {%- endfor %}
    {%- endif %}
{%- endfor %}
{%- if execute and not expected %}
    {{ exceptions.raise_compiler_error(
        "assert_feature_tables_enforce_not_null found no not_null constraint in the customer_features "
        "contracts: the lookup of the versions' columns is broken, not the contract") }}
{%- endif %}

with

expected as (
    {%- for table_name, column_name in expected %}
    select '{{ table_name }}' as table_name, '{{ column_name }}' as column_name
    {%- if not loop.last %} union all{% endif %}
    {%- else %}
    select null as table_name, null as column_name where false
    {%- endfor %}
),

enforced as (
    select table_name, column_name
    from duckdb_columns()
    where database_name = '{{ target.database }}'
        and schema_name = '{{ target.schema }}'
        and not is_nullable
)

select
    expected.table_name,
    expected.column_name,
    'contract says not_null; table accepts nulls: rebuild with --full-refresh' as problem
from expected
left join enforced
    on expected.table_name = enforced.table_name
    and expected.column_name = enforced.column_name
where enforced.column_name is null
