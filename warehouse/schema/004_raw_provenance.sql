-- Raw landing zone, second version: what kind of cell each value came from and
-- how its number was read, and the format a receipt was read in.
-- Columns are only added, so that warehouses created before keep every row.

-- 1-based column number beside the letter (E → 5), so that cells sort and join by position.
alter table raw_cells add column column_number integer;
-- number | percent | text | error | bool | date | empty | formula_no_value
alter table raw_cells add column value_kind varchar;
-- how the number in parsed_value was read from text: number_as_text, unit_converted,
-- wrong_unit, not_a_number, excel_error, empty (see transforms/cleaning.py); null when clean
alter table raw_cells add column parse_code varchar;

-- xlsx | xls | xlsb | ods | csv, and for a CSV the encoding it was decoded with
alter table raw_submissions add column file_format varchar;
alter table raw_submissions add column encoding varchar;
