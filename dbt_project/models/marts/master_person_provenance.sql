{{ config(**person_register_config()) }}

-- The golden value of each attribute of each master person, and the record that supplied it;
-- incremental: a build redoes only the persons resolution touched since the last one.
with

resolved as (

    {{ resolved_master_persons() }}

),

-- the records of those persons (on an incremental build); filtered here, before the unpivot,
-- so Postgres looks them up by master person instead of reading every record
records as (

    select *
    from {{ ref('int_person_records__resolved') }}
    {%- if is_incremental() %}
    where master_person_id in (select master_person_id from resolved)
    {%- endif %}

),

-- every value a department holds for an attribute: one row per (record, attribute), the input of
-- survivorship; only valid resident IDs are candidates
{%- set attributes = {
    'resident_id': "case when resident_id_valid then resident_id end",
    'person_name': "person_name",
    'gender': "gender",
    'birth_date': "to_char(birth_date, 'YYYY-MM-DD')",
    'mobile': "case when mobile ~ '^1[3-9][0-9]{9}$' then mobile end",
    'address': "address",
} %}
candidates as (

    {% for attribute, expression in attributes.items() %}
    select
        master_person_id,
        '{{ attribute }}'::text as attribute,
        ({{ expression }})::text as value,
        source_department,
        source_feed,
        source_record,
        source_role,
        source_batch,
        source_updated_at
    from records
    {{ "union all" if not loop.last }}
    {% endfor %}

),

golden as (

    {{ golden_attributes('candidates', 'person', 'master_person_id') }}

)

select
    golden.master_person_id,
    golden.attribute,
    golden.value,
    golden.source_department,
    golden.source_feed,
    golden.source_record,
    golden.source_role,
    golden.source_batch,
    golden.source_updated_at,
    resolved.resolved_at
from golden
left join resolved on resolved.master_person_id = golden.master_person_id
