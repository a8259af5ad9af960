{#
  Marts with one set of rows per input file are incremental: a refresh deletes the rows of the
  files added, changed or removed since the snapshot it started from (meta.pending_files, written
  into the build file by raw_documents) and inserts those files' rows again. Aggregates across
  files are tables rebuilt every run, except regional_metrics, incremental by group
  (regional_groups.sql). A change to the dbt project itself runs
  `dbt build --full-refresh` (dagster_project/dbt_assets.py).
  meta.pending_files is read as a plain table, not a source: raw_documents writes it in the same
  step as staging.raw_documents, and dagster-dbt would map a second source to the same asset.
  Every model reading it depends on the staging sources (directly or through another model), so it
  always runs after raw_documents.
#}
{% macro delete_changed_files() %}
  {%- if is_incremental() -%}
    delete from {{ this }} where source_file in (select source_file from meta.pending_files)
  {%- else -%}
    select 1
  {%- endif -%}
{% endmacro %}

{% macro in_changed_files(column) %}
  {%- if is_incremental() -%}
    {{ column }} in (select source_file from meta.pending_files)
  {%- else -%}
    true
  {%- endif -%}
{% endmacro %}
