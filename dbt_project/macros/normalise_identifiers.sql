{#- Same rules as silobreak.identifiers, in SQL: full-width to half-width, no spaces, upper-case X. -#}
{% macro normalise_resident_id(column) -%}
    nullif(upper(regexp_replace(translate({{ column }}, '０１２３４５６７８９ｘＸ', '0123456789XX'), '\s', '', 'g')), '')
{%- endmacro %}

{#- 11-digit mainland mobile: drop separators and a +86 / 0086 country prefix. -#}
{% macro normalise_mobile(column) -%}
    nullif(regexp_replace(regexp_replace({{ column }}, '[^0-9]', '', 'g'), '^(0086|86)(1[3-9][0-9]{9})$', '\2'), '')
{%- endmacro %}
