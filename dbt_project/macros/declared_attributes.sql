{#- Typing and checks of declared attributes (business.yml): one definition for customers' and
    activities' attributes. `attributes` is a {name: declaration} mapping from declarations(). -#}

{#- The typed select-list entries, `<expression> as <name>`, in declaration order. #}
{% macro typed_attributes(attributes, relation) %}
    {%- for name, attribute in attributes.items() %}
        {%- if attribute.type == 'numeric' %}
        {{ dbt.safe_cast(relation ~ '.' ~ name, type_double()) }} as {{ name }},
        {%- else %}
        lower(trim(cast({{ relation }}.{{ name }} as {{ dbt.type_string() }}))) as {{ name }},
        {%- endif %}
    {%- endfor %}
{% endmacro %}

{#- `when ... then '<reason>'` branches rejecting rows whose attributes break their declaration:
    missing_<name> for a required attribute without a value, invalid_<name> for a value outside
    the declared values or range, or a non-finite number. #}
{% macro attribute_reject_reasons(attributes, relation) %}
    {%- for name, attribute in attributes.items() %}
        {%- set column = relation ~ '.' ~ name %}
        {%- if attribute.required %}
            when {{ column }} is null then 'missing_{{ name }}'
        {%- endif %}
        {%- if attribute.type == 'numeric' %}
            when {{ column }} is not null and not {{ is_finite(column) }} then 'invalid_{{ name }}'
            {%- if attribute.min is not none %}
            when {{ column }} < {{ attribute.min }} then 'invalid_{{ name }}'
            {%- endif %}
            {%- if attribute.max is not none %}
            when {{ column }} > {{ attribute.max }} then 'invalid_{{ name }}'
            {%- endif %}
        {%- else %}
            {#- a value no category needs (a 5 MB string) is a broken row, kept with its reason #}
            when length(cast({{ column }} as {{ dbt.type_string() }})) > {{ attribute.max_length }}
                then 'too_long_{{ name }}'
            {%- if attribute.get('values') %}
            when {{ column }} not in ({% for value in attribute['values'] %}'{{ value | lower }}'{{ ', ' if not loop.last }}{% endfor %})
                then 'invalid_{{ name }}'
            {%- endif %}
        {%- endif %}
    {%- endfor %}
{% endmacro %}
