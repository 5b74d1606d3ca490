-- description: Live fact rows that rest on one source only, with that source's publisher and URL.
-- column source_id: The one source the row cites.
-- inherit: fact_rows, citations
SELECT f.table_name, f.id, f.date_text, f.title, f.confidence, f.source_ids[1] AS source_id,
  s.publisher AS source_publisher, s.url AS source_url
FROM fact_rows f
LEFT JOIN ${sources} s ON s.${sources_key} = f.source_ids[1]
WHERE f.n_sources = 1
ORDER BY f.table_name, f.id
