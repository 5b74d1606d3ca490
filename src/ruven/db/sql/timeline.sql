-- description: Every dated live row of the fact tables in one shape, in date order (date_min, date_max, table_name, id, title, summary, confidence).
-- inherit: fact_rows
SELECT date_min, date_max, table_name, id, title, summary, confidence, date_text, n_sources
FROM fact_rows
WHERE date_min IS NOT NULL
ORDER BY date_min, date_max, table_name, id
