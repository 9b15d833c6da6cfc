-- A window's revenue sums many events: a hundred purchases within the event bounds
-- (quantity ≤ 10,000,000, price ≤ 1,000,000) pass DECIMAL(18, 3). The tail sums in
-- i128 thousandths; the column holds any such sum.
ALTER TABLE stream.window_metrics ALTER COLUMN revenue TYPE DECIMAL(38, 3);
