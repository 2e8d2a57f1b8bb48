// weir::db::Dialect — how one database spells SQL.
//
// Shared SQL writers (db/common/sql_writer) ask the dialect for quoting, placeholders and
// upsert syntax, so no code above the drivers switches on a driver's name.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "weir/db/catalog.hpp"
#include "weir/value.hpp"

namespace weir::db {

// How a database's own lexer reads SQL text: what weir needs to split a script into
// statements, find `{{…}}` templates or a COPY-able query the way the server will
// (db/common/sql_lexer.hpp). The defaults read '…' strings with '' doubled, E'…' strings
// with backslash escapes, "…" and `…` identifiers, $tag$…$tag$ bodies, and -- and /* */
// comments that do not nest.
struct SqlSyntax {
  bool nested_comments = false;           // /* a /* b */ c */ is one comment (PostgreSQL)
  bool backslash_escapes = false;         // \' escapes a quote in every '…' and "…" (MySQL)
  bool escape_strings = true;             // E'…' takes backslash escapes (PostgreSQL)
  bool dollar_quotes = true;              // $tag$…$tag$ is a string (PostgreSQL)
  bool double_quoted_strings = false;     // "…" is a string, not an identifier (MySQL)
  bool bracket_identifiers = false;       // […] is an identifier (SQLite)
  bool hash_comments = false;             // # starts a comment to the end of the line (MySQL)
  bool dash_comment_needs_space = false;  // -- is a comment only before a space (MySQL)
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string_view name() const noexcept = 0;
  // Quotes one identifier, doubling embedded quote characters ("a""b" / `a``b`).
  virtual std::string quote_identifier(std::string_view identifier) const;
  // The placeholder of the 1-based parameter `index`: "?" or "$1".
  virtual std::string placeholder(std::size_t index) const = 0;
  // The clause after INSERT INTO `table` … VALUES (…) that turns it into an upsert on `key`,
  // setting `update_columns` only on rows where one of them changes (a row left as it was
  // fires no trigger and writes no row version); empty: do nothing on conflict.
  virtual std::string upsert_clause(const TableRef& table, std::span<const std::string> key,
                                    std::span<const std::string> update_columns) const;
  // The clause after INSERT INTO … VALUES (…) that leaves out a row whose key (`key`, or any
  // unique key when empty) is already there; `columns` are the columns inserted.
  virtual std::string ignore_clause(std::span<const std::string> key, std::span<const std::string> columns) const;
  // A condition true when one of `columns` holds another value in the row `row` than in
  // `other` (each a quoted name or alias), two NULLs being the same value.
  virtual std::string differs(std::span<const std::string> columns, std::string_view row,
                              std::string_view other) const;
  // The native column type weir creates for `column`: one that holds every value of its
  // logical type, narrowed to the source's precision, scale, length or bits where known.
  virtual std::string column_type(const Column& column) const = 0;
  // Why a column weir creates for `column` would not hold every value of it exactly (a
  // decimal wider than the database's widest, a type it has no equivalent for), as a phrase
  // naming no column; nullopt when column_type(column) holds them all.
  virtual std::optional<std::string> cannot_hold(const Column& column) const {
    (void)column;
    return std::nullopt;
  }
  // The statement changing the type of `column` of `table` to `type` (keeping it NOT NULL when
  // `not_null`); "" where the database cannot in place (SQLite: the table is rebuilt).
  virtual std::string alter_column_type_sql(const TableRef& table, std::string_view column, std::string_view type,
                                            bool not_null) const;
  // Whether ALTER TABLE … DROP COLUMN drops any column (SQLite's refuses key and indexed ones).
  virtual bool drops_any_column() const noexcept { return true; }
  // What follows CREATE TABLE's column list ("" or " DEFAULT CHARSET=utf8mb4 …").
  virtual std::string_view table_options() const noexcept { return ""; }
  // What turns a statement into its query plan ("EXPLAIN ", "EXPLAIN QUERY PLAN ").
  virtual std::string_view explain_prefix() const noexcept { return "EXPLAIN "; }
  // How the server reads SQL text, as configured by default (MySQL's sql_mode may turn
  // ANSI_QUOTES or NO_BACKSLASH_ESCAPES on; weir reads the default).
  virtual SqlSyntax sql_syntax() const noexcept { return {}; }

  // Binds a value as the statement's next parameter and returns its placeholder.
  using Bind = std::function<std::string(Value)>;

  // The database's clock less `lag`, as a value that compares with a column of `column` type
  // whose times without a zone of their own are written in `time_zone` ("UTC", "local": the
  // database's own zone, or a zone the database knows). Throws Error{config} for a zone this
  // database cannot express.
  virtual std::string clock_minus(Type column, std::string_view time_zone, std::chrono::microseconds lag,
                                  const Bind& bind) const = 0;

  // Where each row tells which transaction wrote it (PostgreSQL's xmin): the query reading the
  // horizon of the poll, one row of the oldest transaction still running (text) and whether any
  // transaction from it on has begun (false: no row can be from one yet), and the condition
  // true of a row (of `qualifier`, "" unqualified) whose writing transaction ended before that
  // horizon, bound at `horizon`. "" when the database keeps no such order.
  virtual std::string_view horizon_query() const noexcept { return ""; }
  virtual std::string settled_condition(std::string_view /*qualifier*/, std::string_view /*horizon*/) const {
    return "";
  }

  // A named lock held until the session ends however it ends, taken without waiting: the query
  // (one parameter, the name; one row, true or 1 when taken) and whether it must run inside a
  // transaction left open for the lock's life. An empty query where the database has none
  // (SQLite: a file lock instead).
  struct SessionLock {
    std::string_view try_query;
    bool in_transaction = false;
  };
  virtual SessionLock session_lock() const noexcept { return {}; }

  std::string quote_table(const TableRef& table) const;
  // The identifiers quoted and joined by ", ": a column list.
  std::string quote_identifiers(std::span<const std::string> identifiers) const;
};

}  // namespace weir::db
