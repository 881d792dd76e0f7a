with

source as (

    {{ current_records('market_regulation', 'enterprises', 'market_regulation__enterprises', ['registration_no'], snapshot=false) }}

),

renamed as (

    select
        nullif(trim(registration_no), '') as registration_no,
        nullif(trim(credit_code), '') as credit_code,
        nullif(trim(name), '') as name,
        nullif(trim(type), '') as type,
        nullif(trim(legal_representative), '') as legal_representative,
        {{ normalise_resident_id('legal_representative_id_card_no') }} as legal_representative_id_card_no,
        nullif(trim(registered_address), '') as registered_address,
        util.try_numeric(registered_capital) as registered_capital,
        nullif(trim(established_date), '') as established_date,
        nullif(trim(status), '') as status,
        util.try_timestamptz(updated_at) as updated_at,
        _batch_id as batch_id,
        _row_number as batch_row_number,
        _loaded_at as loaded_at

    from source

)

select * from renamed
