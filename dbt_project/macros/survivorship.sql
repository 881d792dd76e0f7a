{#- Survivorship, as declared in dbt_project.yml (vars.survivorship.<entity>.<attribute>):
    the ORDER BY that puts an attribute's golden candidate first. Candidates are rows of a
    long table with value, source_department, source_feed, source_updated_at. For legal
    entities a rule's `sources` name feeds (department__entity), for persons departments. -#}
{% macro survivorship_order(entity, attribute, source_column='source_department') -%}
    {%- set rules = var('survivorship')[entity] -%}
    {%- if attribute not in rules -%}
        {{ exceptions.raise_compiler_error("no survivorship rule for " ~ entity ~ "." ~ attribute ~ " in dbt_project.yml vars") }}
    {%- endif -%}
    {%- set rule = rules[attribute] -%}
    {%- if rule.rule == 'most_trusted' -%}
        coalesce(array_position(array[{% for s in rule.sources %}'{{ s }}'{{ ", " if not loop.last }}{% endfor %}]::text[], {{ source_column }}), 999),
        source_updated_at desc nulls last
    {%- elif rule.rule == 'most_recent' -%}
        source_updated_at desc nulls last
    {%- elif rule.rule == 'most_complete' -%}
        length(value) desc, source_updated_at desc nulls last
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown survivorship rule " ~ rule.rule ~ " for " ~ entity ~ "." ~ attribute) }}
    {%- endif -%}
    , source_feed, source_record
{%- endmacro %}

{#- The golden value of every attribute of every entity, with where it came from: one row per
    (entity id, attribute); attributes without a rule are an error, not silently dropped. -#}
{% macro golden_attributes(candidates, entity, id_column, source_column='source_department') -%}
    {%- set rules = var('survivorship')[entity] -%}
    select * from (
    {%- for attribute in rules %}
        select
            candidates.*,
            row_number() over (
                partition by {{ id_column }}
                order by {{ survivorship_order(entity, attribute, source_column) }}
            ) as survivorship_rank
        from {{ candidates }} as candidates
        where attribute = '{{ attribute }}' and value is not null
        {{ "union all" if not loop.last }}
    {%- endfor %}
    ) ranked
    where survivorship_rank = 1
{%- endmacro %}
