with

source as (

    {{ current_records('traffic_police', 'accidents', 'traffic_police__accidents', ['party_no'], snapshot=false) }}

),

renamed as (

    select
        nullif(trim(party_no), '') as party_no,
        nullif(trim(accident_no), '') as accident_no,
        util.try_numeric(party_seq)::bigint as party_seq,
        util.try_timestamptz(occurred_at) as occurred_at,
        nullif(trim(district), '') as district,
        nullif(trim(place), '') as place,
        {{ normalise_person_name('party_name') }} as party_name,
        {{ normalise_resident_id('party_id_card_no') }} as party_id_card_no,
        nullif(trim(plate), '') as plate,
        nullif(trim(vehicle_type), '') as vehicle_type,
        {{ normalise_mobile('phone') }} as phone,
        nullif(trim(responsibility), '') as responsibility,
        nullif(trim(settled_online), '') as settled_online,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
