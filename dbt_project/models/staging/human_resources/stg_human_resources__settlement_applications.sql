with

source as (

    {{ current_records('human_resources', 'settlement_applications', 'human_resources__settlement_applications', ['application_no'], snapshot=true) }}

),

renamed as (

    select
        nullif(trim(application_no), '') as application_no,
        {{ normalise_person_name('applicant_name') }} as applicant_name,
        {{ normalise_resident_id('id_card_no') }} as id_card_no,
        {{ normalise_mobile('phone') }} as phone,
        nullif(trim(degree), '') as degree,
        nullif(trim(university), '') as university,
        nullif(trim(major), '') as major,
        nullif(trim(employer_name), '') as employer_name,
        nullif(trim(employer_credit_code), '') as employer_credit_code,
        {{ parse_date('application_date') }} as application_date,
        nullif(trim(status), '') as status,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
