{#-
    Use a custom schema name as is: `+schema: staging` lands in schema
    `staging`, not `<target schema>_staging`. Without one, models land in the
    target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
