-- The warehouse's layers, one schema each, and the bookkeeping of ingest.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS ml;
CREATE SCHEMA IF NOT EXISTS stream;

-- Every line of the source CSV, as it came (duplicates and cancellations included).
CREATE TABLE raw.order_lines (
    invoice_no  VARCHAR,
    stock_code  VARCHAR,
    description VARCHAR,
    quantity    INTEGER,
    invoice_ts  TIMESTAMP,
    unit_price  DECIMAL(18, 3),
    customer_id INTEGER,
    country     VARCHAR,
    source_file VARCHAR,
    source_line BIGINT,
    ingest_id   BIGINT
);

-- Rows that could not be parsed, with where they came from and why.
CREATE TABLE raw.quarantine (
    ingest_id      BIGINT,
    source_file    VARCHAR,
    source_line    BIGINT,
    raw_line       VARCHAR,
    reason         VARCHAR,
    quarantined_at TIMESTAMP
);

CREATE SEQUENCE meta.ingest_id_seq START 1;

-- One row per `ecom ingest` run.
CREATE TABLE meta.ingests (
    ingest_id        BIGINT PRIMARY KEY,
    started_at       TIMESTAMP,
    finished_at      TIMESTAMP,
    status           VARCHAR,
    files_loaded     INTEGER,
    files_skipped    INTEGER,
    files_rejected   INTEGER,
    rows_loaded      BIGINT,
    rows_quarantined BIGINT,
    ecom_version     VARCHAR
);

-- One row per loaded file content; committed in the same transaction as its rows,
-- which is what makes ingest idempotent and crash-safe.
CREATE TABLE meta.ingested_files (
    content_hash     VARCHAR PRIMARY KEY,
    source_file      VARCHAR NOT NULL,
    size_bytes       BIGINT,
    encoding         VARCHAR,
    timestamp_format VARCHAR,
    rows_loaded      BIGINT,
    rows_quarantined BIGINT,
    ingest_id        BIGINT,
    loaded_at        TIMESTAMP
);

-- Files rejected whole (not this data at all), with the reason.
CREATE TABLE meta.rejected_files (
    ingest_id   BIGINT,
    source_file VARCHAR,
    reason      VARCHAR,
    rejected_at TIMESTAMP
);
