with

source as (

    {{ current_records('health', 'vaccinations', 'health__vaccinations', ['record_no'], snapshot=false) }}

),

renamed as (

    select
        nullif(trim(record_no), '') as record_no,
        {{ normalise_person_name('patient_name') }} as patient_name,
        {{ normalise_gender('gender') }} as gender,
        {{ parse_date('birth_date') }} as birth_date,
        {{ normalise_resident_id('id_card_no') }} as id_card_no,
        {{ normalise_mobile('phone') }} as phone,
        nullif(trim(vaccine_code), '') as vaccine_code,
        nullif(trim(vaccine_name), '') as vaccine_name,
        nullif(trim(dose_no), '') as dose_no,
        {{ parse_date('vaccination_date') }} as vaccination_date,
        nullif(trim(clinic), '') as clinic,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
