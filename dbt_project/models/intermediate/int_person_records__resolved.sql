-- depends_on: {{ ref('int_persons__unioned') }}
-- Every person record as the last resolution run saw it (resolution.person_records, a copy of
-- int_persons__unioned whose batch and update time are those of the record's last change), with
-- the master person it resolves to.
select
    xref.master_person_id,
    person.source_department,
    person.source_feed,
    person.source_record,
    person.source_role,
    person.source_batch,
    person.resident_id,
    person.person_name,
    person.gender,
    person.birth_date,
    person.mobile,
    person.address,
    person.source_updated_at,
    util.resident_id_valid(person.resident_id) as resident_id_valid,
    xref.match_method,
    xref.match_probability
from {{ source('resolution', 'person_records') }} as person
inner join {{ source('resolution', 'person_xref') }} as xref
    on xref.source_feed = person.source_feed
    and xref.source_record = person.source_record
    and xref.source_role = person.source_role
    and xref.status = 'active'
