{{ config(contract={'enforced': true}) }}

-- Licences of every kind, each hanging off the master legal entity that holds it. A licence number
-- is unique only within its kind (each kind has its own issuer and numbering), so a licence is
-- (licence_kind, licence_no), and master_licence_id is derived from both.
-- The legal representative is as the licence names them (no ID); the licence reaches a master
-- person through its holder when that name agrees with the holder's representative.
with licences as (

    select
        licence_no, 'business_licence'::text as licence_kind, credit_code, enterprise_name as holder_name,
        legal_representative, issue_date as valid_from, valid_until as valid_to, issuing_authority, status,
        'market_regulation__business_licences'::text as source_feed, batch_id as source_batch,
        coalesce(updated_at, loaded_at) as source_updated_at
    from {{ ref('stg_market_regulation__business_licences') }}

    union all

    select
        licence_no, 'food_business_licence', credit_code, operator_name, legal_representative,
        valid_from, valid_to, issuing_authority, status,
        'market_regulation__food_business_licences', batch_id, coalesce(updated_at, loaded_at)
    from {{ ref('stg_market_regulation__food_business_licences') }}

),

-- the holder's representative as the register names them and as the population register does
holders as (

    select
        entity.master_legal_entity_id,
        entity.credit_code,
        entity.legal_representative_master_person_id,
        {{ normalise_person_name('entity.legal_representative') }} as named,
        {{ normalise_person_name('person.person_name') }} as golden
    from {{ ref('master_legal_entity') }} as entity
    left join {{ ref('master_person') }} as person
        on person.master_person_id = entity.legal_representative_master_person_id

),

compared as (

    select
        licences.*,
        holders.master_legal_entity_id,
        holders.legal_representative_master_person_id as holder_representative,
        {{ normalise_person_name('licences.legal_representative') }} in (holders.named, holders.golden) as agrees,
        coalesce(holders.named, holders.golden) is not null as holder_names_one
    from licences
    left join holders on holders.credit_code = licences.credit_code

)

select
    md5('licence:' || licence_kind || '|' || licence_no)::uuid as master_licence_id,
    licence_no,
    licence_kind,
    master_legal_entity_id,
    credit_code,
    holder_name,
    legal_representative,
    case when agrees then holder_representative end as legal_representative_master_person_id,
    case when legal_representative is not null and holder_names_one then not coalesce(agrees, false) end
        as legal_representative_disagrees,
    valid_from,
    valid_to,
    issuing_authority,
    status,
    'market_regulation'::text as source_department,
    source_feed,
    source_batch,
    source_updated_at
from compared
where licence_no is not null
