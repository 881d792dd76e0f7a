{{ config(contract={'enforced': true}) }}

-- Licences of every kind, each hanging off the master legal entity that holds it.
with licences as (

    select
        licence_no, 'business_licence'::text as licence_kind, credit_code, enterprise_name as holder_name,
        issue_date as valid_from, valid_until as valid_to, issuing_authority, status,
        'market_regulation__business_licences'::text as source_feed, batch_id as source_batch,
        coalesce(updated_at, loaded_at) as source_updated_at
    from {{ ref('stg_market_regulation__business_licences') }}

    union all

    select
        licence_no, 'food_business_licence', credit_code, operator_name,
        valid_from, valid_to, issuing_authority, status,
        'market_regulation__food_business_licences', batch_id, coalesce(updated_at, loaded_at)
    from {{ ref('stg_market_regulation__food_business_licences') }}

)

select
    licences.licence_no,
    licences.licence_kind,
    entity.master_legal_entity_id,
    licences.credit_code,
    licences.holder_name,
    licences.valid_from,
    licences.valid_to,
    licences.issuing_authority,
    licences.status,
    'market_regulation'::text as source_department,
    licences.source_feed,
    licences.source_batch,
    licences.source_updated_at
from licences
left join {{ ref('master_legal_entity') }} as entity on entity.credit_code = licences.credit_code
where licences.licence_no is not null
