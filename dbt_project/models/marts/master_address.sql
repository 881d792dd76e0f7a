{{ config(contract={'enforced': true}) }}

-- One record per address (地址库): district (区), sub-district (街道) and the rest, from every
-- department that writes an address; a department that left the sub-district out still matches.
-- The rest is keyed in its canonical spelling (address_detail: 一号 = 1号, 幢 / 座 / 号楼 = 栋,
-- 201室 = 201, ...) and split into road, house number, building, unit, floor and room.
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

),

spellings as (

    select master_address_id, count(distinct address) as spelling_count
    from keyed
    group by master_address_id

)

select
    ranked.master_address_id,
    ranked.address,
    district,
    street,
    detail,
    {{ address_road('detail') }} as road,
    {{ address_house_number('detail') }} as house_number,
    {{ address_building('detail') }} as building,
    {{ address_unit('detail') }} as unit,
    {{ address_floor('detail') }} as floor,
    {{ address_room('detail') }} as room,
    ranked.mention_count,
    spellings.spelling_count,
    source_department,
    source_feed,
    source_record,
    source_batch,
    source_updated_at
from ranked
inner join spellings on spellings.master_address_id = ranked.master_address_id
where ranked.survivorship_rank = 1
