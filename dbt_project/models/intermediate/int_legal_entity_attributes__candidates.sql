-- Every value a market-regulation record holds for an attribute of an enterprise, keyed by its
-- unified social credit code (GB 32100): one row per (record, attribute).
with

records as (

    select
        credit_code, 'market_regulation__enterprises'::text as source_feed, registration_no as source_record,
        batch_id as source_batch, coalesce(updated_at, loaded_at) as source_updated_at,
        name as enterprise_name, type as enterprise_type, legal_representative,
        legal_representative_id_card_no as legal_representative_resident_id,
        registered_address as address, established_date, status
    from {{ ref('stg_market_regulation__enterprises') }}

    union all

    select
        credit_code, 'market_regulation__business_licences', licence_no, batch_id,
        coalesce(updated_at, loaded_at), enterprise_name, enterprise_type, legal_representative,
        null, null, null, null
    from {{ ref('stg_market_regulation__business_licences') }}

    union all

    select
        credit_code, 'market_regulation__food_business_licences', licence_no, batch_id,
        coalesce(updated_at, loaded_at), operator_name, null, legal_representative,
        null, premises_address, null, null
    from {{ ref('stg_market_regulation__food_business_licences') }}

)

{%- set attributes = ['enterprise_name', 'enterprise_type', 'legal_representative', 'legal_representative_resident_id', 'address', 'established_date', 'status'] %}
{% for attribute in attributes %}
select
    md5('legal_entity:' || credit_code)::uuid as master_legal_entity_id,
    credit_code,
    '{{ attribute }}'::text as attribute,
    {{ attribute }}::text as value,
    'market_regulation'::text as source_department,
    source_feed,
    source_record,
    source_batch,
    source_updated_at
from records
where credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'
{{ "union all" if not loop.last }}
{% endfor %}
