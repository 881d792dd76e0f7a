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

    create or replace function util.try_month(value text) returns date
    language plpgsql immutable as $$
    declare
        cleaned text := btrim(translate(value, '０１２３４５６７８９／－', '0123456789/-'));
        found text[] := regexp_match(cleaned, '^(\d{4})(?:[-/年]?)(\d{1,2})月?$');
    begin
        if found is null then return null; end if;
        return make_date(found[1]::int, found[2]::int, 1);
    exception when others then
        return null;
    end $$;

    {#- GB 11643: a first-generation 15-digit ID (born 19xx, no check character) in its 18-digit form;
        other values unchanged. -#}
    create or replace function util.resident_id_18(value text) returns text
    language plpgsql immutable as $$
    declare
        first17 text;
        total int := 0;
        weights int[] := array[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    begin
        if value is null or value !~ '^[0-9]{15}$' then return value; end if;
        first17 := substr(value, 1, 6) || '19' || substr(value, 7, 9);
        for i in 1..17 loop
            total := total + substr(first17, i, 1)::int * weights[i];
        end loop;
        return first17 || substr('10X98765432', total % 11 + 1, 1);
    end $$;

    {#- GB 11643: 18 characters with the right check character and a real birth date. -#}
    create or replace function util.resident_id_valid(value text) returns boolean
    language plpgsql immutable as $$
    declare
        total int := 0;
        weights int[] := array[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    begin
        if value is null or value !~ '^[0-9]{17}[0-9X]$' then return false; end if;
        for i in 1..17 loop
            total := total + substr(value, i, 1)::int * weights[i];
        end loop;
        return substr('10X98765432', total % 11 + 1, 1) = substr(value, 18, 1)
            and util.try_date(substr(value, 7, 8)) is not null;
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
