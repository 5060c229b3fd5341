{#- True for a number that is neither infinite nor NaN: 1e308 * 10 or a NaN in a raw file must be
    quarantined, not summed into a feature that no null check would catch. -#}
{% macro is_finite(expression) %}
    {{ return(adapter.dispatch('is_finite', 'scoreline')(expression)) }}
{% endmacro %}

{% macro default__is_finite(expression) %}isfinite({{ expression }}){% endmacro %}

{#- Spark has no isfinite; isnan(null) is false there, so a null stays null through the comparison. #}
{% macro spark__is_finite(expression) %}(not isnan({{ expression }}) and abs({{ expression }}) <> double('inf')){% endmacro %}
