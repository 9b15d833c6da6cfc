-- The scheduler's record: every pipeline run and every attempt of every job in it.
CREATE SEQUENCE meta.pipeline_run_id_seq START 1;

CREATE TABLE meta.pipeline_runs (
    run_id      BIGINT PRIMARY KEY,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,
    jobs        VARCHAR
);

CREATE TABLE meta.job_runs (
    run_id      BIGINT NOT NULL,
    job         VARCHAR NOT NULL,
    attempt     INTEGER NOT NULL,
    status      VARCHAR NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    rows        BIGINT,
    message     VARCHAR,
    error       VARCHAR
);
