with

source as (

    {{ current_records('civil_affairs', 'subsidies', 'civil_affairs__subsidies', ['subsidy_no'], snapshot=true) }}

),

renamed as (

    select
        nullif(trim(subsidy_no), '') as subsidy_no,
        {{ normalise_resident_id('id_card_no') }} as id_card_no,
        {{ normalise_person_name('name') }} as name,
        nullif(trim(subsidy_type), '') as subsidy_type,
        util.try_numeric(monthly_amount)::bigint as monthly_amount,
        {{ parse_date('start_date') }} as start_date,
        {{ normalise_address('address') }} as address,
        nullif(trim(district), '') as district,
        nullif(trim(status), '') as status,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
