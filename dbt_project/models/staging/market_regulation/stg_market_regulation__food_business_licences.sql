with

source as (

    {{ current_records('market_regulation', 'food_business_licences', 'market_regulation__food_business_licences', ['licence_no'], snapshot=false) }}

),

renamed as (

    select
        nullif(trim(licence_no), '') as licence_no,
        nullif(upper(regexp_replace(normalize(credit_code, NFKC), '[[:space:]]', '', 'g')), '') as credit_code,
        {{ normalise_name('operator_name') }} as operator_name,
        {{ normalise_person_name('legal_representative') }} as legal_representative,
        {{ normalise_address('premises_address') }} as premises_address,
        nullif(trim(main_business), '') as main_business,
        nullif(trim(business_items), '') as business_items,
        {{ parse_date('valid_from') }} as valid_from,
        {{ parse_date('valid_to') }} as valid_to,
        nullif(trim(issuing_authority), '') as issuing_authority,
        nullif(trim(status), '') as status,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
