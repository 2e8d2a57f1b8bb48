-- The tables the red-team corpus attacks on MariaDB/MySQL (tests/integration/mcp_query_test.cpp).
DROP TABLE IF EXISTS rt_orders, rt_accounts, rt_copy, rt_new;
CREATE TABLE rt_accounts (id int PRIMARY KEY, owner varchar(40), balance decimal(10,2));
INSERT INTO rt_accounts VALUES (1, 'ann', 10.50), (2, 'bob', 0), (3, 'cyd', 99.99);
CREATE TABLE rt_orders (id int PRIMARY KEY, account_id int, amount decimal(10,2), placed_at date, tags longtext);
INSERT INTO rt_orders VALUES (1, 1, 5, '2026-01-03', '{"channel": "web", "labels": ["a", "b"]}'),
  (2, 1, 25, '2026-02-01', '{"channel": "shop", "labels": ["a"]}'),
  (3, 2, 12.5, '2026-02-14', '{"channel": "web", "labels": []}'),
  (4, 3, 40, '2026-03-01', '{"channel": "phone", "labels": ["c"]}');
DROP PROCEDURE IF EXISTS rt_proc;
CREATE PROCEDURE rt_proc() DELETE FROM rt_accounts;
