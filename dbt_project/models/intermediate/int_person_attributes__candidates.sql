-- Every value a department holds for an attribute of a master person: one row per (record,
-- attribute), the input of survivorship. Only valid resident IDs are candidates.
{%- set attributes = {
    'resident_id': "case when resident_id_valid then resident_id end",
    'person_name': "person_name",
    'gender': "gender",
    'birth_date': "to_char(birth_date, 'YYYY-MM-DD')",
    'mobile': "case when mobile ~ '^1[3-9][0-9]{9}$' then mobile end",
    'address': "address",
} %}
{% for attribute, expression in attributes.items() %}
select
    master_person_id,
    '{{ attribute }}'::text as attribute,
    ({{ expression }})::text as value,
    source_department,
    source_feed,
    source_record,
    source_role,
    source_batch,
    source_updated_at
from {{ ref('int_person_records__resolved') }}
{{ "union all" if not loop.last }}
{% endfor %}
