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

{#- What follows the district and sub-district, in one canonical spelling, so that two ways of writing
    one address key the same record (master_address, and master_person / master_legal_entity's
    master_address_id): Chinese numerals before a marker (号 栋 单元 层 室...) as digits, building
    synonyms (幢 座 号楼 # 栋楼) as 栋, 楼 / F after a number as 层, 室 / 房 / 号 after a room number
    dropped, 第 and leading zeros dropped, Latin letters upper-case. What it does not recognise
    (estate and building names) stays as written: an unknown spelling splits an address rather
    than merging two. -#}
{% macro address_detail(address) -%}
    {{ address_canonical("regexp_replace(" ~ address ~ ", '^深圳市[^市区]{1,4}区([^区]{1,8}?街道)?', '')") }}
{%- endmacro %}

{#- Chinese numerals before a marker as digits: 二十三号 -> 23号, 一百零五号 -> 105号, 二零一室 -> 201室;
    numerals elsewhere (田贝一路, 百花二路) stay. -#}
{% macro address_numerals(text) -%}
    {%- set n = '[零〇一二两三四五六七八九0-9]' -%}
    {%- set marker = '(?:号|栋|幢|座|单元|层|楼|室|房|户)' -%}
    {%- set m = '(?=' ~ marker ~ ')' -%}
    {%- set before = '(?=' ~ n ~ '*' ~ marker ~ ')' -%}
    {%- set steps = [
        ('([一二两三四五六七八九])十([一二三四五六七八九])' ~ m, '\\1\\2'),
        ('([一二两三四五六七八九])十' ~ m, '\\1零'),
        ('(?<![一二两三四五六七八九零〇百千])十([一二三四五六七八九])' ~ m, '一\\1'),
        ('(?<![一二两三四五六七八九零〇百千])十' ~ m, '一零'),
        ('百零([一二三四五六七八九])' ~ m, '零\\1'),
        ('百(?=[零〇一二两三四五六七八九]{2}' ~ marker ~ ')', ''),
        ('百' ~ m, '零零'),
        ('[零〇]' ~ before, '0'),
        ('一' ~ before, '1'),
        ('[二两]' ~ before, '2'),
        ('三' ~ before, '3'),
        ('四' ~ before, '4'),
        ('五' ~ before, '5'),
        ('六' ~ before, '6'),
        ('七' ~ before, '7'),
        ('八' ~ before, '8'),
        ('九' ~ before, '9'),
    ] -%}
    {%- set ns = namespace(sql=text) -%}
    {%- for pattern, replacement in steps -%}
        {%- set ns.sql = "regexp_replace(" ~ ns.sql ~ ", '" ~ pattern ~ "', '" ~ replacement ~ "', 'g')" -%}
    {%- endfor -%}
    {#- most addresses have no Chinese numeral before a marker: skip the chain for them -#}
    case when {{ text }} ~ '[零〇一二两三四五六七八九十百][号栋幢座单层楼室房户]' then {{ ns.sql }} else {{ text }} end
{%- endmacro %}

{#- The canonical spelling of an address detail (see address_detail), from text already NFKC-folded. -#}
{% macro address_canonical(detail) -%}
    {%- set steps = [
        ('[,、()]', ''),
        ('第(?=[0-9])', ''),
        ('(?<![0-9])0+(?=[0-9])', ''),
        ('([0-9]+|[A-Z])(?:号楼|栋楼|#楼|#|幢|座|栋)', '\\1栋'),
        ('([0-9]+)(?:楼|F)', '\\1层'),
        ('([0-9]+)(?:号房|室|房|户)$', '\\1'),
        ('(栋|单元|层)([0-9]+)号$', '\\1\\2'),
    ] -%}
    {%- set ns = namespace(sql="upper(" ~ address_numerals(detail) ~ ")") -%}
    {%- for pattern, replacement in steps -%}
        {%- set ns.sql = "regexp_replace(" ~ ns.sql ~ ", '" ~ pattern ~ "', '" ~ replacement ~ "', 'g')" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}

{#- The parts of a canonical detail (address_detail's output): road (路 街 大道..., what precedes the
    house number), house number (号), building (栋), unit (单元), floor (层) and room. -#}
{% macro address_road(detail) -%}
    nullif((regexp_match({{ detail }}, '^(.*?)[0-9]+(?:-[0-9]+)?号'))[1], '')
{%- endmacro %}

{% macro address_house_number(detail) -%}
    substring({{ detail }} from '^.*?([0-9]+(?:-[0-9]+)?)号')
{%- endmacro %}

{% macro address_building(detail) -%}
    substring({{ detail }} from '([0-9A-Z]+)栋')
{%- endmacro %}

{% macro address_unit(detail) -%}
    substring({{ detail }} from '([0-9]+)单元')
{%- endmacro %}

{% macro address_floor(detail) -%}
    substring({{ detail }} from '([0-9]+)层')
{%- endmacro %}

{% macro address_room(detail) -%}
    substring({{ detail }} from '(?:栋|单元|层)([0-9]+)$')
{%- endmacro %}

{#- A month as its first day: 2024-01, 2024/01, 2024年1月, 202401. -#}
{% macro parse_month(column) -%}
    util.try_month({{ column }})
{%- endmacro %}
