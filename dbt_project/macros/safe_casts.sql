{#- Casts that give null instead of failing the whole dbt run on a value a department typed badly.
    Validation quarantines rows whose required values do not parse; these guard the rest.
    The functions live in schema util, created at the start of every dbt run. -#}
{% macro create_safe_cast_functions() %}
    create schema if not exists util;

    create or replace function util.try_date(value text) returns date
    language plpgsql immutable as $$
    declare
        cleaned text := btrim(translate(value, '０１２３４５６７８９／－', '0123456789/-'));
    begin
        if cleaned ~ '^\d{4}-\d{1,2}-\d{1,2}$' then return to_date(cleaned, 'YYYY-MM-DD');
        elsif cleaned ~ '^\d{4}/\d{1,2}/\d{1,2}$' then return to_date(cleaned, 'YYYY/MM/DD');
        elsif cleaned ~ '^\d{4}年\d{1,2}月\d{1,2}日$' then
            return to_date(regexp_replace(cleaned, '(\d+)年(\d+)月(\d+)日', '\1-\2-\3'), 'YYYY-MM-DD');
        elsif cleaned ~ '^\d{8}$' then return to_date(cleaned, 'YYYYMMDD');
        elsif cleaned ~ '^\d{4}-\d{2}-\d{2}[ T]' then return cleaned::timestamptz::date;
        end if;
        return null;
    exception when others then
        return null;
    end $$;

    create or replace function util.try_timestamptz(value text) returns timestamptz
    language plpgsql stable as $$
    begin
        return nullif(btrim(value), '')::timestamptz;
    exception when others then
        return null;
    end $$;

    create or replace function util.try_numeric(value text) returns numeric
    language plpgsql immutable as $$
    begin
        return nullif(replace(btrim(value), ',', ''), '')::numeric;
    exception when others then
        return null;
    end $$;
{% endmacro %}

{% macro parse_date(column) -%}
    util.try_date({{ column }})
{%- endmacro %}
