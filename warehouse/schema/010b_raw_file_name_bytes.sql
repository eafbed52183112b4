-- A received file's name that is not valid UTF-8 (a GBK name from a Windows share or a
-- zip): original_name holds it as shown (decoded as GB18030, or with � for what cannot
-- be decoded), and this column its raw bytes in hex. Null for every valid name.
alter table raw_files add column original_name_hex varchar;
