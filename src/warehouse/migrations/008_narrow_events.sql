-- Events keep what the message carried (plus where it came from, `late` and
-- `received_at`); the enrichment is joined at read time by the view
-- `stream.events_enriched` (warehouse/events_enriched.rs), so the tail appends fewer
-- columns and an event reads the dimensions as they are now, not as they were when it
-- arrived. The rows already written keep every other column.
ALTER TABLE stream.events DROP COLUMN product_description;
ALTER TABLE stream.events DROP COLUMN customer_segment;
ALTER TABLE stream.events DROP COLUMN customer_first_purchase;
ALTER TABLE stream.events DROP COLUMN country_region;
