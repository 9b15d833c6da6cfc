-- The ML jobs' record: one row per run of `ecom ml segment|recommend|anomalies`, with
-- its parameters and metrics as JSON, so runs can be compared over time.
CREATE SCHEMA IF NOT EXISTS ml;
CREATE SEQUENCE ml.model_run_id_seq START 1;

CREATE TABLE ml.model_runs (
    run_id       BIGINT PRIMARY KEY,
    model        VARCHAR NOT NULL,
    algorithm    VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP NOT NULL,
    duration_ms  BIGINT NOT NULL,
    parameters   JSON NOT NULL,
    metrics      JSON NOT NULL,
    data_from    TIMESTAMP,
    data_to      TIMESTAMP,
    input_rows   BIGINT,
    output_rows  BIGINT,
    ecom_version VARCHAR NOT NULL
);
