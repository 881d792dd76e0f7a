with

source as (

    {{ current_records('market_regulation', 'enterprises', 'market_regulation__enterprises', ['registration_no'], snapshot=false) }}

),

renamed as (

    select
        nullif(trim(registration_no), '') as registration_no,
        nullif(upper(regexp_replace(normalize(credit_code, NFKC), '[[:space:]]', '', 'g')), '') as credit_code,
        {{ normalise_name('name') }} as name,
        nullif(trim(type), '') as type,
        {{ normalise_person_name('legal_representative') }} as legal_representative,
        {{ normalise_resident_id('legal_representative_id_card_no') }} as legal_representative_id_card_no,
        {{ normalise_address('registered_address') }} as registered_address,
        util.try_numeric(registered_capital) as registered_capital,
        {{ parse_date('established_date') }} as established_date,
        nullif(trim(status), '') as status,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
