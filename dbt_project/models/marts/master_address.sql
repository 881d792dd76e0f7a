{{ config(contract={'enforced': true}) }}

-- One record per address (地址库): district (区), sub-district (街道) and the rest, from every
-- department that writes an address; a department that left the sub-district out still matches.
with

mentions as (

    select address, source_department, source_feed, source_record, source_batch, source_updated_at
    from {{ ref('int_persons__unioned') }}
    where address is not null

    union all

    select registered_address, 'market_regulation', 'market_regulation__enterprises', registration_no, batch_id,
        coalesce(updated_at, loaded_at)
    from {{ ref('stg_market_regulation__enterprises') }}
    where registered_address is not null

    union all

    select premises_address, 'market_regulation', 'market_regulation__food_business_licences', licence_no, batch_id,
        coalesce(updated_at, loaded_at)
    from {{ ref('stg_market_regulation__food_business_licences') }}
    where premises_address is not null

),

parsed as (

    select
        *,
        {{ address_district('address') }} as district,
        {{ address_street('address') }} as street,
        {{ address_detail('address') }} as detail
    from mentions

),

keyed as (

    select md5('address:' || district || '|' || detail)::uuid as master_address_id, *
    from parsed
    where district is not null and detail <> ''

),

-- survivorship: the most complete spelling (with the sub-district), then the most recent
ranked as (

    select
        *,
        row_number() over (
            partition by master_address_id
            order by street is not null desc, length(address) desc, source_updated_at desc nulls last, source_feed, source_record
        ) as survivorship_rank,
        count(*) over (partition by master_address_id) as mention_count
    from keyed

)

select
    master_address_id,
    address,
    district,
    street,
    detail,
    mention_count,
    source_department,
    source_feed,
    source_record,
    source_batch,
    source_updated_at
from ranked
where survivorship_rank = 1
