{#- The helpers of dbt's global project that package macros call: tests and
    failure storage. ecom runs tests natively; these answer as dbt does for a
    test without `store_failures`. -#}

{%- macro should_store_failures() -%}{{ return(false) }}{%- endmacro -%}

{%- macro default__get_where_subquery(relation) -%}{{ return(relation) }}{%- endmacro -%}

{%- macro default__get_limit_sql(sql, limit) -%}
{{ sql }}{% if limit is not none %}
limit {{ limit }}{% endif %}
{%- endmacro -%}
