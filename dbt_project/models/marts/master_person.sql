{{ config(contract={'enforced': true}) }}

with

person_records as (

    select * from {{ ref('int_persons__unioned') }}
    where resident_id ~ '^[0-9]{17}[0-9X]$'

),

-- deterministic resolution on the resident ID; survivorship: the household register (public
-- security) is the most trusted source of identity, then the most recently updated record
ranked as (

    select
        *,
        row_number() over (
            partition by resident_id
            order by
                (source_department = 'public_security') desc,
                source_updated_at desc nulls last,
                source_feed,
                source_record
        ) as survivorship_rank

    from person_records

),

departments as (

    select resident_id, count(distinct source_department) as department_count
    from person_records
    group by resident_id

)

select
    md5('master_person:' || ranked.resident_id)::uuid as master_person_id,
    ranked.resident_id,
    person_name,
    gender,
    birth_date,
    mobile,
    departments.department_count,
    source_department,
    source_feed,
    source_record,
    source_batch,
    source_updated_at

from ranked
inner join departments on departments.resident_id = ranked.resident_id
where ranked.survivorship_rank = 1
