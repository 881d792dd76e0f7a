with

source as (

    {{ current_records('public_security', 'residents', 'public_security__residents', ['person_no']) }}

),

renamed as (

    select
        person_no,
        {{ normalise_person_name('name') }} as person_name,
        {{ normalise_gender('gender') }} as gender,
        birth_date::date as birth_date,
        {{ normalise_resident_id('id_card_no') }} as resident_id,
        division_code,
        {{ normalise_address('registered_address') }} as registered_address,
        household_no,
        {{ normalise_mobile('phone') }} as mobile,
        updated_at::timestamptz as source_updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
