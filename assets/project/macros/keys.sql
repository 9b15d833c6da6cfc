{#-
    surrogate_key(columns): md5 hex of the columns cast to text, joined with
    '|', NULL written as '_null_' so that NULL and '' hash differently.
    Stable across runs and warehouses: the same natural key always gives the
    same surrogate key.
-#}
{% macro surrogate_key(columns) -%}
    md5(
        {%- for column in columns %}
        coalesce(cast({{ column }} as varchar), '_null_')
        {%- if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{#- date_key(expr): the day of a date or timestamp as an integer yyyymmdd. -#}
{% macro date_key(expr) -%}
    cast(year({{ expr }}) * 10000 + month({{ expr }}) * 100 + day({{ expr }}) as integer)
{%- endmacro %}
