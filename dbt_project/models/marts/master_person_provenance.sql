{{ config(contract={'enforced': true}) }}

-- The golden value of each attribute of each master person, and the record that supplied it.
with golden as (

    {{ golden_attributes(ref('int_person_attributes__candidates'), 'person', 'master_person_id') }}

)

select
    master_person_id,
    attribute,
    value,
    source_department,
    source_feed,
    source_record,
    source_role,
    source_batch,
    source_updated_at
from golden
