-- One fact table's share of `citations` (${table}: the table, t: its live rows).
SELECT ${table_name} AS table_name, t.id AS row_id, unnest(t.source_ids) AS source_id FROM ${table} t
