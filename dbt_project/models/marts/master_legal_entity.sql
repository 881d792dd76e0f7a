{{ config(contract={'enforced': true}) }}

-- One golden record per enterprise (法人库), resolved on the unified social credit code, linked to
-- its legal representative's master person through the resolution of the record that named them.
with

entities as (

    select master_legal_entity_id, min(credit_code) as credit_code, count(distinct source_feed || source_record) as record_count
    from {{ ref('int_legal_entity_attributes__candidates') }}
    group by master_legal_entity_id

),

golden as (

    select
        master_legal_entity_id,
        max(value) filter (where attribute = 'enterprise_name') as enterprise_name,
        max(value) filter (where attribute = 'enterprise_type') as enterprise_type,
        max(value) filter (where attribute = 'legal_representative') as legal_representative,
        max(value) filter (where attribute = 'address') as address,
        max(value) filter (where attribute = 'established_date') as established_date,
        max(value) filter (where attribute = 'status') as status,
        jsonb_object_agg(
            attribute,
            jsonb_build_object(
                'department', source_department, 'feed', source_feed, 'record', source_record,
                'batch', source_batch, 'updated_at', source_updated_at
            )
        ) as provenance
    from {{ ref('master_legal_entity_provenance') }}
    group by master_legal_entity_id

),

representative as (

    select golden.master_legal_entity_id, person.master_person_id
    from {{ ref('master_legal_entity_provenance') }} as golden
    inner join {{ ref('int_person_records__resolved') }} as person
        on person.source_feed = golden.source_feed
        and person.source_record = golden.source_record
        and person.source_role = ''
    where golden.attribute = 'legal_representative_resident_id'

)

select
    entities.master_legal_entity_id,
    entities.credit_code,
    golden.enterprise_name,
    golden.enterprise_type,
    golden.legal_representative,
    representative.master_person_id as legal_representative_master_person_id,
    golden.address,
    case when {{ address_district('golden.address') }} is not null
        then md5('address:' || {{ address_district('golden.address') }} || '|' || {{ address_detail('golden.address') }})::uuid
    end as master_address_id,
    golden.established_date::date as established_date,
    golden.status,
    entities.record_count,
    coalesce(golden.provenance, '{}'::jsonb) as provenance

from entities
left join golden on golden.master_legal_entity_id = entities.master_legal_entity_id
left join representative on representative.master_legal_entity_id = entities.master_legal_entity_id
