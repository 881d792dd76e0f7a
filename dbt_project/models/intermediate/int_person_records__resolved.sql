-- Every person record with the master person the resolution step gave it.
select
    xref.master_person_id,
    person.*,
    util.resident_id_valid(person.resident_id) as resident_id_valid,
    xref.match_method,
    xref.match_probability
from {{ ref('int_persons__unioned') }} as person
inner join {{ source('resolution', 'person_xref') }} as xref
    on xref.source_feed = person.source_feed
    and xref.source_record = person.source_record
    and xref.source_role = person.source_role
    and xref.status = 'active'
