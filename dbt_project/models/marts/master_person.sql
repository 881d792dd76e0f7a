{{ config(**person_register_config()) }}

-- One golden record per real person (人口库): the resolution step's clusters (resolution.person_xref),
-- every attribute chosen by the survivorship rules in dbt_project.yml, with its provenance;
-- incremental: a build redoes only the persons resolution touched since the last one.
with

resolved as (

    {{ resolved_master_persons() }}

),

provenance as (

    select provenance.*
    from {{ ref('master_person_provenance') }} as provenance
    {%- if is_incremental() %}
    where provenance.master_person_id in (select master_person_id from resolved)
    {%- endif %}

),

records as (

    select
        master_person_id,
        count(*) as record_count,
        count(distinct source_department) as department_count,
        bool_or(match_method = 'resident_id') as resolved_on_resident_id
    from {{ ref('int_person_records__resolved') }}
    {%- if is_incremental() %}
    where master_person_id in (select master_person_id from resolved)
    {%- endif %}
    group by master_person_id

),

golden as (

    select
        master_person_id,
        max(value) filter (where attribute = 'resident_id') as resident_id,
        max(value) filter (where attribute = 'person_name') as person_name,
        max(value) filter (where attribute = 'gender') as gender,
        max(value) filter (where attribute = 'birth_date') as birth_date,
        max(value) filter (where attribute = 'mobile') as mobile,
        max(value) filter (where attribute = 'address') as address,
        jsonb_object_agg(
            attribute,
            jsonb_build_object(
                'department', source_department,
                'feed', source_feed,
                'record', source_record,
                'role', source_role,
                'batch', source_batch,
                'updated_at', source_updated_at
            )
        ) as provenance
    from provenance
    group by master_person_id

),

-- the record the person's identity comes from: the resident ID's, else the name's
identity as (

    select distinct on (master_person_id)
        master_person_id, source_department, source_feed, source_record, source_batch, source_updated_at
    from provenance
    where attribute in ('resident_id', 'person_name')
    order by master_person_id, attribute = 'resident_id' desc

)

select
    records.master_person_id,
    golden.resident_id,
    golden.person_name,
    golden.gender,
    golden.birth_date::date as birth_date,
    golden.mobile,
    golden.address,
    case when {{ address_district('golden.address') }} is not null
        then md5('address:' || {{ address_district('golden.address') }} || '|' || {{ address_detail('golden.address') }})::uuid
    end as master_address_id,
    records.department_count,
    records.record_count,
    records.resolved_on_resident_id,
    identity.source_department,
    identity.source_feed,
    identity.source_record,
    identity.source_batch,
    identity.source_updated_at,
    coalesce(golden.provenance, '{}'::jsonb) as provenance,
    resolved.resolved_at

from records
left join golden on golden.master_person_id = records.master_person_id
left join identity on identity.master_person_id = records.master_person_id
left join resolved on resolved.master_person_id = records.master_person_id
