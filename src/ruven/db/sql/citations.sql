-- description: One row per fact row and source it cites (live rows only), joined to the `sources` table.
-- column table_name: The fact table the row is in.
-- column row_id: The fact row's `id`.
-- column source_id: One of the row's `source_ids`.
-- part: citations.part.sql
SELECT c.table_name, c.row_id, c.source_id, ${source_columns}
FROM (${parts}) c
LEFT JOIN ${sources} s ON s.${sources_key} = c.source_id
ORDER BY c.table_name, c.row_id, c.source_id
