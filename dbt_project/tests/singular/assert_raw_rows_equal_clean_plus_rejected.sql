-- A returned row is a table and load day where raw rows != clean rows + quarantined rows.
-- Rows were silently lost or duplicated between the raw files and staging.
select *
from {{ ref('raw_row_reconciliation') }}
where raw_rows != clean_rows + rejected_rows
