-- Changes to examples/cdc.yaml's source table: three transactions.
BEGIN;
INSERT INTO cdc_orders (id, customer, total) VALUES (1, 'Leonie', 12.50), (2, 'François', 7.00), (3, 'Bjørn', 99.99);
COMMIT;
UPDATE cdc_orders SET total = 13.75 WHERE id = 1;
BEGIN;
DELETE FROM cdc_orders WHERE id = 2;
INSERT INTO cdc_orders (id, customer, total) VALUES (4, 'Helena', 0.10);
COMMIT;
