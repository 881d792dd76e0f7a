{{ config(contract={'enforced': true}) }}

with

residents as (

    select * from {{ ref('stg_public_security__residents') }}

),

-- deterministic resolution on the resident ID; the most recently updated record wins
ranked as (

    select
        *,
        row_number() over (
            partition by resident_id order by source_updated_at desc nulls last, person_no
        ) as recency_rank

    from residents

)

select
    md5('master_person:' || resident_id)::uuid as master_person_id,
    resident_id,
    person_name,
    gender,
    birth_date,
    division_code,
    registered_address,
    mobile,
    'public_security'::text as source_department,
    person_no as source_record,
    batch_id as source_batch,
    source_updated_at

from ranked
where recency_rank = 1
