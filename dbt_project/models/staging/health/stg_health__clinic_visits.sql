with

source as (

    {{ current_records('health', 'clinic_visits', 'health__clinic_visits', ['visit_no'], snapshot=false) }}

),

renamed as (

    select
        nullif(trim(visit_no), '') as visit_no,
        {{ normalise_person_name('patient_name') }} as patient_name,
        {{ normalise_gender('gender') }} as gender,
        {{ parse_date('birth_date') }} as birth_date,
        {{ normalise_resident_id('id_card_no') }} as id_card_no,
        {{ normalise_mobile('phone') }} as phone,
        nullif(trim(hospital), '') as hospital,
        nullif(trim(department), '') as department,
        {{ parse_date('visit_date') }} as visit_date,
        nullif(trim(diagnosis_code), '') as diagnosis_code,
        nullif(trim(diagnosis_name), '') as diagnosis_name,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
