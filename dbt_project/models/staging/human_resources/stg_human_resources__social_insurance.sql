with

source as (

    {{ current_records('human_resources', 'social_insurance', 'human_resources__social_insurance', ['record_no'], snapshot=true) }}

),

renamed as (

    select
        nullif(trim(record_no), '') as record_no,
        {{ normalise_resident_id('id_card_no') }} as id_card_no,
        {{ normalise_person_name('name') }} as name,
        nullif(trim(employer_credit_code), '') as employer_credit_code,
        nullif(trim(employer_name), '') as employer_name,
        {{ parse_month('start_month') }} as start_month,
        util.try_numeric(monthly_base)::bigint as monthly_base,
        nullif(trim(status), '') as status,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
