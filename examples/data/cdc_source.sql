-- The source table of examples/cdc.yaml, on PostgreSQL (run it again to start afresh).
DROP TABLE IF EXISTS cdc_orders;
CREATE TABLE cdc_orders (
  id       bigint PRIMARY KEY,
  customer text NOT NULL,
  total    numeric(12, 2) NOT NULL,
  placed   timestamptz NOT NULL DEFAULT now()
);
-- A row from before the slots: the mirror's snapshot copies it, the feed never sees it.
INSERT INTO cdc_orders (id, customer, total) VALUES (9, 'Aiko', 5.05);
