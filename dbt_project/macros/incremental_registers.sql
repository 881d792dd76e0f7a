{#- The person registers are built incrementally: a resolution run logs every master person it
    touched (resolution.person_changes), and an incremental build rebuilds exactly those.
    `dbt build --full-refresh` (silobreak master-data --full) rebuilds everything, which is needed
    after a change of the survivorship rules or of the models themselves. -#}

{#- The config of an incremental person register, keyed by master person. -#}
{% macro person_register_config() -%}
    {{ return({
        'materialized': 'incremental',
        'unique_key': 'master_person_id',
        'incremental_strategy': 'delete+insert',
        'on_schema_change': 'append_new_columns',
        'contract': {'enforced': true},
        'indexes': [{'columns': ['master_person_id']}, {'columns': ['resolved_at']}],
        'post_hook': "{{ delete_vanished_master_persons() }}",
    }) }}
{%- endmacro %}

{#- When resolution last touched each master person; on an incremental build only the persons
    touched since the register's own latest `resolved_at`. -#}
{% macro resolved_master_persons() -%}
    select master_person_id, max(changed_at) as resolved_at
    from {{ source('resolution', 'person_changes') }}
    {%- if is_incremental() %}
    where master_person_id in (
        select master_person_id from {{ source('resolution', 'person_changes') }}
        where changed_at > (select coalesce(max(resolved_at), '-infinity'::timestamptz) from {{ this }})
    )
    {%- endif %}
    group by master_person_id
{%- endmacro %}

{#- Rows of master persons no active record resolves to any more (merged into another, or all
    their records retired): gone from the register, kept in its history snapshot. -#}
{% macro delete_vanished_master_persons() -%}
    delete from {{ this }} as register
    where not exists (
        select 1 from {{ source('resolution', 'person_xref') }} as xref
        where xref.master_person_id = register.master_person_id and xref.status = 'active'
    )
{%- endmacro %}
