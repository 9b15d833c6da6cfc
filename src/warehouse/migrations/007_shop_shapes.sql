-- Any shop's export loads into raw.order_lines: what currency its prices are in and
-- which preset (or mapping) read it. Everything loaded before was the UCI data set,
-- priced in pounds sterling.
ALTER TABLE raw.order_lines ADD COLUMN currency VARCHAR;
ALTER TABLE raw.order_lines ADD COLUMN source_preset VARCHAR;
UPDATE raw.order_lines SET currency = 'GBP', source_preset = 'uci';
ALTER TABLE meta.ingested_files ADD COLUMN source_preset VARCHAR;
UPDATE meta.ingested_files SET source_preset = 'uci';

-- A stable whole-number customer key per lower-cased e-mail (exports that identify
-- customers by e-mail only). Only a hash of the address is kept, unless the mapping
-- asks for the address itself (`keep_emails`). In meta: never served by the API.
CREATE TABLE meta.customer_keys (
    email_hash      VARCHAR PRIMARY KEY,
    customer_id     INTEGER NOT NULL UNIQUE,
    email           VARCHAR,
    first_ingest_id BIGINT
);
