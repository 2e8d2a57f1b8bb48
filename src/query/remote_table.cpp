#include "query/remote_table.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "db/sqlite/types.hpp"
#include "query/scan_cursor.hpp"
#include "weir/db/driver.hpp"

namespace weir::query {
namespace {

struct Vtab {
  sqlite3_vtab base{};
  RemoteTable* table = nullptr;
  RemoteTables* tables = nullptr;
};

// Reports an exception as the vtab's error: SQLite then fails the statement with it.
int fail(sqlite3_vtab* vtab, const std::exception& e) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", e.what());
  return SQLITE_ERROR;
}

Op op_of(unsigned char op) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ: return Op::eq;
    case SQLITE_INDEX_CONSTRAINT_NE: return Op::ne;
    case SQLITE_INDEX_CONSTRAINT_LT: return Op::lt;
    case SQLITE_INDEX_CONSTRAINT_LE: return Op::le;
    case SQLITE_INDEX_CONSTRAINT_GT: return Op::gt;
    case SQLITE_INDEX_CONSTRAINT_GE: return Op::ge;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: return Op::is_null;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: return Op::is_not_null;
    case SQLITE_INDEX_CONSTRAINT_LIKE: return Op::like;
    case SQLITE_INDEX_CONSTRAINT_LIMIT: return Op::limit;
    case SQLITE_INDEX_CONSTRAINT_OFFSET: return Op::offset;
    default: return Op::other;
  }
}

// A value's class and its text, as the pushdown rules and conversions read it.
Rhs rhs_of(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: return {RhsKind::null, {}};
    case SQLITE_INTEGER: return {RhsKind::integer, std::to_string(sqlite3_value_int64(v))};
    case SQLITE_FLOAT: return {RhsKind::real, fmt::format("{}", sqlite3_value_double(v))};
    case SQLITE_BLOB: return {RhsKind::blob, {}};
    default: {
      auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return {RhsKind::text, std::string(p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(v)))};
    }
  }
}

int x_connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out, char** error) {
  auto* tables = static_cast<RemoteTables*>(aux);
  std::size_t index = 0;
  if (argc < 4 || std::from_chars(argv[3], argv[3] + std::strlen(argv[3]), index).ec != std::errc{} ||
      index >= tables->size()) {
    *error = sqlite3_mprintf("weir_remote: no such remote table");
    return SQLITE_ERROR;
  }
  RemoteTable& table = tables->at(index);
  if (int rc = sqlite3_declare_vtab(db, declare_statement(table.columns).c_str()); rc != SQLITE_OK) {
    *error = sqlite3_mprintf("%s: %s", table.label.c_str(), sqlite3_errmsg(db));
    return rc;
  }
  auto* vtab = new Vtab;
  vtab->table = &table;
  vtab->tables = tables;
  *out = &vtab->base;
  return SQLITE_OK;
}

int x_disconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<Vtab*>(vtab);
  return SQLITE_OK;
}

std::vector<Offered> offered_constraints(sqlite3_index_info* info) {
  std::vector<Offered> offered;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    Offered o{c.iColumn, op_of(c.op), c.usable != 0, {}};
    if (o.op == Op::eq && sqlite3_vtab_in(info, i, -1)) o.op = Op::in;
    sqlite3_value* rhs = nullptr;
    if (o.op != Op::in && sqlite3_vtab_rhs_value(info, i, &rhs) == SQLITE_OK && rhs) o.rhs = rhs_of(rhs);
    offered.push_back(std::move(o));
  }
  return offered;
}

int x_best_index(sqlite3_vtab* base, sqlite3_index_info* info) {
  RemoteTable& table = *reinterpret_cast<Vtab*>(base)->table;
  try {
    std::vector<Offered> offered = offered_constraints(info);
    std::vector<OrderTerm> order;
    for (int i = 0; i < info->nOrderBy; ++i) order.push_back({info->aOrderBy[i].iColumn, info->aOrderBy[i].desc != 0});
    ScanPlan plan =
        plan_scan(table.columns, offered, info->colUsed, order, table.row_estimate, table.traits, table.unique_column);
    info->orderByConsumed = plan.order.empty() ? 0 : 1;
    int argv = 0;
    for (const PushedTerm& term : plan.terms) {
      info->aConstraintUsage[term.constraint].argvIndex = ++argv;
      info->aConstraintUsage[term.constraint].omit = term.exact ? 1 : 0;
      if (term.op == Op::in) sqlite3_vtab_in(info, term.constraint, 1);
    }
    for (std::size_t i = 0; i < offered.size() && plan.limit; ++i) {
      if (offered[i].op == Op::limit) info->aConstraintUsage[i].argvIndex = *plan.limit;
      if (offered[i].op == Op::offset && plan.offset) info->aConstraintUsage[i].argvIndex = *plan.offset;
    }
    // One round trip per scan on top of the rows: a scan repeated inside a loop is costly; a
    // lookup by join key shares its round trip with the keys of its batch (key_batches.hpp).
    bool by_key = std::any_of(plan.terms.begin(), plan.terms.end(), [](const PushedTerm& t) { return t.key; });
    info->estimatedRows = static_cast<sqlite3_int64>(plan.estimated_rows);
    info->estimatedCost = plan.estimated_rows + (by_key ? 10.0 : 1000.0);
    if (plan.unique) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    info->idxNum = static_cast<int>(table.plans.size());
    info->idxStr = sqlite3_mprintf("%s", describe(plan, table.columns).c_str());
    info->needToFreeIdxStr = 1;
    table.plans.push_back(std::move(plan));
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return fail(base, e);
  }
}

ScanCursor& scan_of(sqlite3_vtab_cursor* base) { return *reinterpret_cast<ScanCursor*>(base); }
RemoteTables& tables_of(sqlite3_vtab_cursor* base) { return *reinterpret_cast<Vtab*>(base->pVtab)->tables; }

int x_open(sqlite3_vtab* base, sqlite3_vtab_cursor** out) {
  auto* vtab = reinterpret_cast<Vtab*>(base);
  auto* cursor = new ScanCursor;
  cursor->table = vtab->table;
  vtab->tables->open_scans().push_back(cursor);
  *out = &cursor->base;
  return SQLITE_OK;
}

int x_close(sqlite3_vtab_cursor* base) {
  auto& open = tables_of(base).open_scans();
  open.erase(std::remove(open.begin(), open.end(), &scan_of(base)), open.end());
  delete &scan_of(base);
  return SQLITE_OK;
}

// A value SQLite passes as a value of `column`'s type: an integer for an integer column
// directly, anything else through its class and text (to_column_value).
std::optional<Value> column_value(const Column& column, sqlite3_value* v) {
  if (column.type == Type::int64 && sqlite3_value_type(v) == SQLITE_INTEGER) return Value(sqlite3_value_int64(v));
  Rhs rhs = rhs_of(v);
  return to_column_value(column, rhs.kind, rhs.text);
}

// The values of term `term` from its xFilter argument, as the column's type, into `argument`
// (its list reused: a nested scan is filtered once per outer row); false for a NULL compared
// with `=`, which keeps no row.
bool argument_of(const RemoteTable& table, const PushedTerm& term, sqlite3_value* value, TermArgument& argument) {
  argument.values.clear();
  const Column& column = table.columns[term.column];
  if (term.op == Op::in) {
    sqlite3_value* item = nullptr;
    for (int rc = sqlite3_vtab_in_first(value, &item); rc == SQLITE_OK && item; rc = sqlite3_vtab_in_next(value, &item))
      if (sqlite3_value_type(item) != SQLITE_NULL) argument.values.push_back(column_value(column, item));
    return true;
  }
  if (term.op == Op::is_null || term.op == Op::is_not_null) return true;
  if (sqlite3_value_type(value) == SQLITE_NULL) return false;
  argument.values.push_back(column_value(column, value));
  return true;
}

bool fetch_rows(ScanCursor& cursor) {
  cursor.row = 0;
  while (cursor.stream->next(cursor.batch))
    if (!cursor.batch.empty()) {
      cursor.end = cursor.batch.rows();
      return true;
    }
  cursor.eof = true;
  return false;
}

int x_filter(sqlite3_vtab_cursor* base, int idx_num, const char*, int argc, sqlite3_value** argv) {
  auto& cursor = scan_of(base);
  RemoteTables& tables = tables_of(base);
  RemoteTable& table = *cursor.table;
  try {
    cursor.plan = &table.plans.at(static_cast<std::size_t>(idx_num));
    const ScanPlan& plan = *cursor.plan;
    cursor.eof = true;
    cursor.stream.reset();
    cursor.keyed.reset();
    cursor.keyed_from = nullptr;
    cursor.end = 0;
    cursor.row_began = tables.tick();
    cursor.slot.assign(table.columns.size(), -1);
    cursor.read_at.assign(table.columns.size(), 0);
    for (std::size_t i = 0; i < plan.columns.size(); ++i) cursor.slot[plan.columns[i]] = static_cast<int>(i);
    std::vector<TermArgument>& arguments = cursor.arguments;
    std::size_t terms = std::min(plan.terms.size(), static_cast<std::size_t>(std::max(argc, 0)));
    arguments.resize(terms);
    for (std::size_t i = 0; i < terms; ++i)
      if (!argument_of(table, plan.terms[i], argv[i], arguments[i])) return SQLITE_OK;  // `= NULL`: no row
    auto given = [argv](std::size_t term) { return rhs_of(argv[term]); };
    if (read_by_key_batch(cursor, tables.open_scans(), idx_num, arguments, given)) return SQLITE_OK;
    auto int_arg = [&](std::optional<int> at) -> std::optional<std::int64_t> {
      if (!at || *at > argc) return std::nullopt;
      return sqlite3_value_int64(argv[*at - 1]);
    };
    RemoteQuery query = build_remote_query(table.source->connection().dialect(), table.ref, table.columns, plan,
                                           arguments, int_arg(plan.limit), int_arg(plan.offset));
    cursor.stream = table.source->open(query, table.stats);
    cursor.eof = false;
    fetch_rows(cursor);
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return fail(base->pVtab, e);
  }
}

int x_next(sqlite3_vtab_cursor* base) {
  auto& cursor = scan_of(base);
  cursor.row_began = tables_of(base).tick();
  ++cursor.rowid;
  if (++cursor.row < cursor.end) return SQLITE_OK;
  if (cursor.keyed) {
    cursor.eof = true;
    return SQLITE_OK;
  }
  try {
    fetch_rows(cursor);
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return fail(base->pVtab, e);
  }
}

int x_eof(sqlite3_vtab_cursor* base) { return scan_of(base).eof ? 1 : 0; }

int x_column(sqlite3_vtab_cursor* base, sqlite3_context* context, int column) {
  auto& cursor = scan_of(base);
  bool known = column >= 0 && static_cast<std::size_t>(column) < cursor.slot.size();
  int slot = known ? cursor.slot[column] : -1;
  if (slot < 0) {
    sqlite3_result_null(context);
    return SQLITE_OK;
  }
  cursor.read_at[column] = tables_of(base).tick();
  // Copied: the batch is refilled by the next fetch while SQLite may still hold the cell.
  db::sqlite::result_value(context, cursor.rows().at(cursor.row, static_cast<std::size_t>(slot)), false);
  return SQLITE_OK;
}

int x_rowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
  *rowid = scan_of(base).rowid;
  return SQLITE_OK;
}

sqlite3_module make_module() {
  sqlite3_module m{};
  m.iVersion = 1;
  m.xCreate = x_connect;
  m.xConnect = x_connect;
  m.xBestIndex = x_best_index;
  m.xDisconnect = x_disconnect;
  m.xDestroy = x_disconnect;
  m.xOpen = x_open;
  m.xClose = x_close;
  m.xFilter = x_filter;
  m.xNext = x_next;
  m.xEof = x_eof;
  m.xColumn = x_column;
  m.xRowid = x_rowid;
  return m;
}

const sqlite3_module kModule = make_module();

}  // namespace

std::string declare_statement(const std::vector<Column>& columns) {
  const db::Dialect& sqlite = db::Registry::builtin().for_scheme("sqlite").dialect();
  std::string out = "CREATE TABLE x(";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    out += fmt::format("{}{} {}", i ? ", " : "", sqlite.quote_identifier(columns[i].name),
                       db::sqlite::declared_type(columns[i]));
    if (columns[i].type == Type::decimal) out += " COLLATE weir_decimal";
  }
  return out + ")";
}

void RemoteTables::register_module(sqlite3* db) {
  if (sqlite3_create_module_v2(db, "weir_remote", &kModule, this, nullptr) != SQLITE_OK)
    throw Error(ErrorKind::internal, fmt::format("registering the remote table module: {}", sqlite3_errmsg(db)));
}

std::size_t RemoteTables::add(std::unique_ptr<RemoteTable> table) {
  tables_.push_back(std::move(table));
  return tables_.size() - 1;
}

}  // namespace weir::query
