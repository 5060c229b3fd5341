{#- A returned row holds lifetime dates out of order: for an activity, the first active date after
    the last, the previous one not before the last, or the last one not before the as-of date
    (a lifetime read the future). Checks whichever dates lifetime_measures computes. -#}
{% test lifetime_dates_in_order(model) %}
{%- set columns = lifetime_measures() | map(attribute='column') | list %}
{%- set claims = [] %}
{%- for prefix in lifetime_measures() | selectattr('kind', 'equalto', 'last_date') | map(attribute='column') | map('replace', '_last_date', '') %}
    {%- do claims.append(prefix ~ '_last_date < as_of_date') %}
    {%- if prefix ~ '_previous_date' in columns %}
        {%- do claims.append(prefix ~ '_previous_date < ' ~ prefix ~ '_last_date') %}
    {%- endif %}
    {%- if prefix ~ '_first_date' in columns %}
        {%- do claims.append(prefix ~ '_first_date <= ' ~ prefix ~ '_last_date') %}
    {%- endif %}
{%- endfor %}
select *
from {{ model }}
where false
    {%- for claim in claims %}
    or not coalesce({{ claim }}, true)
    {%- endfor %}
{% endtest %}
