{{ config(contract={'enforced': true}) }}

-- The golden value of each attribute of each enterprise, and the record that supplied it.
with golden as (

    {{ golden_attributes(ref('int_legal_entity_attributes__candidates'), 'legal_entity', 'master_legal_entity_id', 'source_feed') }}

)

select
    master_legal_entity_id,
    attribute,
    value,
    source_department,
    source_feed,
    source_record,
    source_batch,
    source_updated_at
from golden
