{#- Same rules as silobreak.identifiers, in SQL: full-width to half-width, no spaces, upper-case X,
    a first-generation 15-digit ID upgraded to 18 digits (util.resident_id_18). -#}
{% macro normalise_resident_id(column) -%}
    util.resident_id_18(nullif(upper(regexp_replace(translate({{ column }}, '０１２３４５６７８９ｘＸ', '0123456789XX'), '\s', '', 'g')), ''))
{%- endmacro %}

{#- 11-digit mainland mobile: fold full-width digits, drop separators and a +86 / 0086 country prefix. -#}
{% macro normalise_mobile(column) -%}
    nullif(regexp_replace(regexp_replace(normalize({{ column }}, NFKC), '[^0-9]', '', 'g'), '^(0086|86)(1[3-9][0-9]{9})$', '\2'), '')
{%- endmacro %}
