{{ config(**person_register_config()) }}

-- The golden value of each attribute of each master person, and the record that supplied it;
-- incremental: a build redoes only the persons resolution touched since the last one.
with

resolved as (

    {{ resolved_master_persons() }}

),

candidates as (

    select candidates.*
    from {{ ref('int_person_attributes__candidates') }} as candidates
    {%- if is_incremental() %}
    where candidates.master_person_id in (select master_person_id from resolved)
    {%- endif %}

),

golden as (

    {{ golden_attributes('candidates', 'person', 'master_person_id') }}

)

select
    golden.master_person_id,
    golden.attribute,
    golden.value,
    golden.source_department,
    golden.source_feed,
    golden.source_record,
    golden.source_role,
    golden.source_batch,
    golden.source_updated_at,
    resolved.resolved_at
from golden
left join resolved on resolved.master_person_id = golden.master_person_id
