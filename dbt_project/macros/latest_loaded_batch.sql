{#- The batch of a feed that was loaded last: staging reads only it, so a consumer sees one
    whole batch, and rerunning an older batch makes it current again. -#}
{% macro latest_loaded_batch(feed) -%}
    select batch_id
    from {{ source('silobreak', 'batches') }}
    where feed = '{{ feed }}' and status = 'loaded'
    order by loaded_at desc
    limit 1
{%- endmacro %}
