with

source as (

    {{ current_records('civil_affairs', 'marriages', 'civil_affairs__marriages', ['registration_no'], snapshot=true) }}

),

renamed as (

    select
        nullif(trim(registration_no), '') as registration_no,
        {{ normalise_person_name('husband_name') }} as husband_name,
        {{ normalise_resident_id('husband_id_card_no') }} as husband_id_card_no,
        {{ normalise_person_name('wife_name') }} as wife_name,
        {{ normalise_resident_id('wife_id_card_no') }} as wife_id_card_no,
        {{ parse_date('registration_date') }} as registration_date,
        util.try_numeric(district)::bigint as district,
        nullif(trim(registration_office), '') as registration_office,
        nullif(trim(status), '') as status,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
