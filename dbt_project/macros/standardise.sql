{#- Standardising what departments type by hand: names, genders, addresses, months.
    The Python twins live in silobreak.identifiers and silobreak.resolution.chinese. -#}

{#- A name (person, enterprise): full-width folded (NFKC), no spaces or middle dots, traditional
    characters that map safely one to one made simplified. -#}
{% macro normalise_name(column) -%}
    nullif({{ traditional_to_simplified("regexp_replace(normalize(" ~ column ~ ", NFKC), '[[:space:]　·•.・]', '', 'g')") }}, '')
{%- endmacro %}

{% macro normalise_person_name(column) -%}
    {{ normalise_name(column) }}
{%- endmacro %}

{#- M / F from 男 / 女 / M / F / 1 / 2 (GB/T 2261.1 codes). -#}
{% macro normalise_gender(column) -%}
    case upper(btrim({{ column }}))
        when '男' then 'M' when 'M' then 'M' when '1' then 'M'
        when '女' then 'F' when 'F' then 'F' when '2' then 'F'
    end
{%- endmacro %}

{#- An address in one form: full-width folded, no spaces, no province, always starting with the
    city (深圳市), as the household register writes it. -#}
{% macro normalise_address(column) -%}
    nullif(regexp_replace(
        regexp_replace(regexp_replace(normalize({{ column }}, NFKC), '[[:space:]　]', '', 'g'), '^广东省', ''),
        '^(?!深圳市)(?=[^市]{1,4}区)', '深圳市'
    ), '')
{%- endmacro %}

{#- The district (区) of a normalised address, e.g. 南山区. -#}
{% macro address_district(address) -%}
    substring({{ address }} from '^深圳市([^市区]{1,4}区)')
{%- endmacro %}

{#- The sub-district (街道) of a normalised address, when the department wrote it. -#}
{% macro address_street(address) -%}
    substring({{ address }} from '^深圳市[^市区]{1,4}区([^区]{1,8}?街道)')
{%- endmacro %}

{#- What follows the district and sub-district: road, number, building, room. -#}
{% macro address_detail(address) -%}
    regexp_replace({{ address }}, '^深圳市[^市区]{1,4}区([^区]{1,8}?街道)?', '')
{%- endmacro %}

{#- A month as its first day: 2024-01, 2024/01, 2024年1月, 202401. -#}
{% macro parse_month(column) -%}
    util.try_month({{ column }})
{%- endmacro %}
