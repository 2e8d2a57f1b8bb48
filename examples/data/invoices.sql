-- The invoice warehouse of examples/incremental.yaml: a table whose CHECK constraint refuses large
-- invoices, so that the dead-letter table has something to show.
CREATE TABLE invoices (
  invoice_id  INTEGER PRIMARY KEY,
  invoiced_at TEXT NOT NULL,
  customer_id INTEGER NOT NULL,
  country     TEXT,
  total       NUMERIC NOT NULL CHECK (total <= 20)
);
