{#- The department's records as they stand now, from the raw table of a feed.

    snapshot feeds (a whole table per batch): the rows of the latest loaded batch, so a consumer
    sees one whole batch;
    change feeds (files, API pages, incremental queries): the latest version of each key across
    every loaded batch.

    "Latest" follows the order in which batches were landed, so rerunning an old batch never
    brings old values back. -#}
{% macro current_records(source_name, table_name, feed, keys, snapshot=true) -%}
    {%- set batches = source('silobreak', 'batches') -%}
    {%- if snapshot %}
    select raw.*
    from {{ source(source_name, table_name) }} as raw
    where raw._batch_id = (
        select batch_id from {{ batches }}
        where feed = '{{ feed }}' and status = 'loaded'
        order by landed_at desc, batch_id desc
        limit 1
    )
    {%- else %}
    select distinct on ({% for k in keys %}raw.{{ k }}{{ ", " if not loop.last }}{% endfor %}) raw.*
    from {{ source(source_name, table_name) }} as raw
    inner join {{ batches }} as batch
        on batch.feed = '{{ feed }}' and batch.batch_id = raw._batch_id and batch.status = 'loaded'
    order by {% for k in keys %}raw.{{ k }}, {% endfor %}batch.landed_at desc, raw._row_number desc
    {%- endif %}
{%- endmacro %}
