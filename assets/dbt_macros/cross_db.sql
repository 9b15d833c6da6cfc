{#- ecom's DuckDB implementations of the cross-database macros of dbt's global
    project, called as `dbt.name(...)` or by their bare names. Each is defined under
    its dispatch name (`default__x`, `duckdb__x`), so `adapter.dispatch('x', 'dbt')`
    finds it and a project's `dispatch:` config can put its own first; ecom adds the
    plain `x` that dispatches. Argument names are dbt's, for keyword calls. -#}

{%- macro default__type_string() -%}{{ return("TEXT") }}{%- endmacro -%}
{%- macro default__type_timestamp() -%}{{ return("TIMESTAMP") }}{%- endmacro -%}
{%- macro default__type_float() -%}{{ return("FLOAT") }}{%- endmacro -%}
{%- macro default__type_numeric() -%}{{ return("numeric(28,6)") }}{%- endmacro -%}
{%- macro default__type_bigint() -%}{{ return("bigint") }}{%- endmacro -%}
{%- macro default__type_int() -%}{{ return("integer") }}{%- endmacro -%}
{%- macro default__type_boolean() -%}{{ return("boolean") }}{%- endmacro -%}

{%- macro duckdb__current_timestamp() -%}now(){%- endmacro -%}

{%- macro default__date_trunc(datepart, date) -%}
date_trunc('{{ datepart }}', {{ date }})
{%- endmacro -%}

{%- macro duckdb__dateadd(datepart, interval, from_date_or_timestamp) -%}
{%- set unit = datepart | lower -%}
{%- if unit == 'quarter' -%}
({{ from_date_or_timestamp }} + (cast({{ interval }} as bigint) * 3) * interval 1 month)
{%- elif unit == 'week' -%}
({{ from_date_or_timestamp }} + (cast({{ interval }} as bigint) * 7) * interval 1 day)
{%- else -%}
({{ from_date_or_timestamp }} + cast({{ interval }} as bigint) * interval 1 {{ unit }})
{%- endif -%}
{%- endmacro -%}

{#- Whole weeks between the two days, counted the way dbt-duckdb counts them. -#}
{%- macro duckdb__datediff(first_date, second_date, datepart) -%}
{%- if datepart == 'week' -%}
((date_diff('day', ({{ first_date }})::timestamp, ({{ second_date }})::timestamp)) // 7 + case
    when date_part('dow', ({{ first_date }})::timestamp) <= date_part('dow', ({{ second_date }})::timestamp)
    then case when {{ first_date }} <= {{ second_date }} then 0 else -1 end
    else case when {{ first_date }} <= {{ second_date }} then 1 else 0 end
end)
{%- else -%}
(date_diff('{{ datepart }}', {{ first_date }}::timestamp, {{ second_date }}::timestamp))
{%- endif -%}
{%- endmacro -%}

{%- macro default__last_day(date, datepart) -%}
{%- set months = 3 if datepart == 'quarter' else 1 -%}
{%- set unit = 'month' if datepart == 'quarter' else datepart -%}
cast({{ dbt.dateadd('day', '-1', dbt.dateadd(unit, months, dbt.date_trunc(datepart, date))) }} as date)
{%- endmacro -%}

{%- macro default__hash(field) -%}md5(cast({{ field }} as TEXT)){%- endmacro -%}
{%- macro default__concat(fields) -%}{{ fields | join(' || ') }}{%- endmacro -%}
{%- macro default__safe_cast(field, type) -%}cast({{ field }} as {{ type }}){%- endmacro -%}
{%- macro default__cast(field, type) -%}cast({{ field }} as {{ type }}){%- endmacro -%}
{%- macro default__cast_bool_to_text(field) -%}cast({{ field }} as TEXT){%- endmacro -%}
{%- macro default__position(substring_text, string_text) -%}position({{ substring_text }} in {{ string_text }}){%- endmacro -%}
{%- macro default__right(string_text, length_expression) -%}right({{ string_text }}, {{ length_expression }}){%- endmacro -%}
{%- macro default__length(expression) -%}length({{ expression }}){%- endmacro -%}
{%- macro default__replace(field, old_chars, new_chars) -%}replace({{ field }}, {{ old_chars }}, {{ new_chars }}){%- endmacro -%}
{%- macro default__bool_or(expression) -%}bool_or({{ expression }}){%- endmacro -%}
{%- macro duckdb__any_value(expression) -%}arbitrary({{ expression }}){%- endmacro -%}
{%- macro default__except() -%}except{%- endmacro -%}
{%- macro default__intersect() -%}intersect{%- endmacro -%}
{%- macro default__string_literal(value) -%}'{{ value }}'{%- endmacro -%}
{%- macro default__escape_single_quotes(expression) -%}{{ expression | replace("'", "''") }}{%- endmacro -%}
{%- macro duckdb__split_part(string_text, delimiter_text, part_number) -%}string_split({{ string_text }}, {{ delimiter_text }})[{{ part_number }}]{%- endmacro -%}
{%- macro default__array_append(array, new_element) -%}array_append({{ array }}, {{ new_element }}){%- endmacro -%}
{%- macro default__array_concat(array_1, array_2) -%}array_cat({{ array_1 }}, {{ array_2 }}){%- endmacro -%}

{%- macro default__array_construct(inputs=[], data_type='integer') -%}
{%- if inputs | length > 0 -%}array[{{ inputs | join(', ') }}]{%- else -%}array[]::{{ data_type }}[]{%- endif -%}
{%- endmacro -%}

{%- macro duckdb__listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
{%- if limit_num -%}
list_aggr((array_agg({{ measure }} {{ order_by_clause or '' }}))[1:{{ limit_num }}], 'string_agg', {{ delimiter_text }})
{%- else -%}
string_agg({{ measure }}, {{ delimiter_text }} {{ order_by_clause or '' }})
{%- endif -%}
{%- endmacro -%}
