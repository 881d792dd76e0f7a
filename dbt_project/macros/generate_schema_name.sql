{#- Models land in the schema they declare (staging, intermediate, master), not <target>_<schema>:
    departments and governance find master data under one stable name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
