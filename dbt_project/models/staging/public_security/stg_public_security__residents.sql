with

source as (

    {{ current_records('public_security', 'residents', 'public_security__residents', ['person_no']) }}

),

renamed as (

    select
        person_no,
        nullif(regexp_replace(name, '\s', '', 'g'), '') as person_name,
        case gender when '男' then 'M' when '女' then 'F' end as gender,
        birth_date::date as birth_date,
        {{ normalise_resident_id('id_card_no') }} as resident_id,
        division_code,
        nullif(trim(registered_address), '') as registered_address,
        household_no,
        {{ normalise_mobile('phone') }} as mobile,
        updated_at::timestamptz as source_updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
