-- The tail's tables (`ecom tail`). Every row carries the topic and partition it came
-- from, and events their offset: the members of a consumer group each write their own
-- warehouse, and a reader merging them dedupes events by (topic, partition, offset) and
-- closed windows by (window_start, window_end, country, topic, partition).

-- Where each partition resumes, committed in the same transaction as the rows its
-- messages produced: exactly-once effect in the warehouse.
CREATE TABLE stream.offsets (
    topic          VARCHAR NOT NULL,
    "partition"    INTEGER NOT NULL,
    -- The next offset to process.
    next_offset    BIGINT NOT NULL,
    -- The first offset still needed to rebuild the partition's open windows.
    rebuild_offset BIGINT NOT NULL,
    max_event_time TIMESTAMP,
    watermark      TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (topic, "partition")
);

CREATE TABLE stream.events (
    topic                   VARCHAR NOT NULL,
    "partition"             INTEGER NOT NULL,
    "offset"                BIGINT NOT NULL,
    event_id                VARCHAR NOT NULL,
    event_type              VARCHAR NOT NULL,
    event_time              TIMESTAMP NOT NULL,
    invoice_no              VARCHAR,
    stock_code              VARCHAR NOT NULL,
    description             VARCHAR,
    quantity                BIGINT NOT NULL,
    unit_price              DECIMAL(18, 3) NOT NULL,
    revenue                 DECIMAL(18, 3) NOT NULL,
    customer_id             BIGINT,
    country                 VARCHAR,
    -- Enrichment from the marts and ML tables, when they exist.
    product_description     VARCHAR,
    customer_segment        VARCHAR,
    customer_first_purchase DATE,
    country_region          VARCHAR,
    -- Late for at least one of its windows (see stream.late_events).
    late                    BOOLEAN NOT NULL,
    received_at             TIMESTAMP NOT NULL
);

CREATE TABLE stream.window_metrics (
    window_start   TIMESTAMP NOT NULL,
    window_end     TIMESTAMP NOT NULL,
    country        VARCHAR NOT NULL,
    revenue        DECIMAL(18, 3) NOT NULL,
    orders         BIGINT NOT NULL,
    items          BIGINT NOT NULL,
    customers      BIGINT NOT NULL,
    cancellations  BIGINT NOT NULL,
    views          BIGINT NOT NULL,
    carts          BIGINT NOT NULL,
    purchases      BIGINT NOT NULL,
    conversion     DOUBLE,
    window_seconds BIGINT NOT NULL,
    hop_seconds    BIGINT NOT NULL,
    topic          VARCHAR NOT NULL,
    "partition"    INTEGER NOT NULL,
    closed_at      TIMESTAMP NOT NULL,
    published      BOOLEAN NOT NULL
);

CREATE TABLE stream.late_events (
    topic       VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset"    BIGINT NOT NULL,
    event_id    VARCHAR NOT NULL,
    event_time  TIMESTAMP NOT NULL,
    watermark   TIMESTAMP,
    reason      VARCHAR NOT NULL,
    received_at TIMESTAMP NOT NULL
);

CREATE TABLE stream.dead_letters (
    topic       VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset"    BIGINT NOT NULL,
    "key"       VARCHAR,
    payload     VARCHAR,
    reason      VARCHAR NOT NULL,
    received_at TIMESTAMP NOT NULL
);

-- The figures of one consumer's warehouse merged over partitions: the windows of a
-- partition are closed once per partition, so summing them is exact (customers and
-- invoices never span partitions: messages are keyed by customer, else invoice).
CREATE VIEW stream.window_totals AS
SELECT window_start, window_end, country, window_seconds, hop_seconds,
       sum(revenue) AS revenue, sum(orders) AS orders, sum(items) AS items,
       sum(customers) AS customers, sum(cancellations) AS cancellations,
       sum(views) AS views, sum(carts) AS carts, sum(purchases) AS purchases,
       sum(purchases) / nullif(sum(views), 0) AS conversion
FROM (SELECT DISTINCT ON (window_start, window_end, country, window_seconds, hop_seconds, topic, "partition") *
      FROM stream.window_metrics)
GROUP BY ALL;
