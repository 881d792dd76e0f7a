with

source as (

    {{ current_records('market_regulation', 'business_licences', 'market_regulation__business_licences', ['licence_no'], snapshot=false) }}

),

renamed as (

    select
        nullif(trim(licence_no), '') as licence_no,
        nullif(upper(regexp_replace(normalize(credit_code, NFKC), '[[:space:]]', '', 'g')), '') as credit_code,
        {{ normalise_name('enterprise_name') }} as enterprise_name,
        {{ normalise_person_name('legal_representative') }} as legal_representative,
        nullif(trim(enterprise_type), '') as enterprise_type,
        nullif(trim(registered_capital), '') as registered_capital,
        nullif(trim(business_scope), '') as business_scope,
        {{ parse_date('issue_date') }} as issue_date,
        {{ parse_date('valid_until') }} as valid_until,
        nullif(trim(issuing_authority), '') as issuing_authority,
        nullif(trim(status), '') as status,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
