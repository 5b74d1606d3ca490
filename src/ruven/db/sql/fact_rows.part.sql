-- One fact table's share of `fact_rows`; the title and summary come from the schema's x-ruven label and summary.
SELECT ${table_name} AS table_name, t.id,
  CAST(${date_text} AS VARCHAR) AS date_text,
  ${date_min} AS date_min,
  ${date_max} AS date_max,
  ${title} AS title, ${summary} AS summary, ${confidence} AS confidence,
  t.source_ids AS source_ids, len(t.source_ids) AS n_sources
FROM ${table} t ${joins}
