{#- A returned row is a contract constraint (not_null, check) that the feature table lacks. The
    null policy and ranges are constraints the warehouse enforces on every insert (a bad feature
    never lands), not tests re-reading the night's rows; a table created before a constraint
    was added lacks it until `scoreline build --full-refresh`, and this says so. Configure it
    with `where: ""`: it reads the catalog, not the rows.
    Spark's Parquet tables hold no constraints: there the test reads the rows instead, and a
    returned row is a constraint some rows break. -#}
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

{{ adapter.dispatch('contract_constraints_not_held', 'scoreline')(model, expected_not_null, expected_checks) }}
{% endtest %}
