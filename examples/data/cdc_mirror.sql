-- The SQLite mirror of examples/cdc.yaml's source table.
CREATE TABLE orders (
  id       INTEGER PRIMARY KEY,
  customer TEXT NOT NULL,
  total    DECIMAL_TEXT(12, 2) NOT NULL,
  placed   TEXT NOT NULL
);
