#include "db/sqlite/batch_table.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "db/sqlite/errors.hpp"
#include "db/sqlite/types.hpp"

namespace weir::db::sqlite {
namespace {

constexpr const char* kPointerType = "weir_batch_rows";

struct Table {
  sqlite3_vtab base{};
  std::size_t width = 0;
};

struct Cursor {
  sqlite3_vtab_cursor base{};
  const BatchRows* rows = nullptr;
  std::size_t at = 0;
  std::size_t end = 0;
};

int connect(sqlite3* db, void* width_arg, int, const char* const*, sqlite3_vtab** out, char**) {
  const auto width = reinterpret_cast<std::size_t>(width_arg);
  std::string columns;
  for (std::size_t c = 0; c < width; ++c) columns += fmt::format("c{}, ", c);
  int rc = sqlite3_declare_vtab(db, fmt::format("CREATE TABLE x({}rows HIDDEN)", columns).c_str());
  if (rc != SQLITE_OK) return rc;
  auto* table = new Table;
  table->width = width;
  *out = &table->base;
  return SQLITE_OK;
}

int disconnect(sqlite3_vtab* table) {
  delete reinterpret_cast<Table*>(table);
  return SQLITE_OK;
}

// The only plan: the rows come as the hidden column's value, weir_batch_N(?1).
int best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  const int rows_column = static_cast<int>(reinterpret_cast<Table*>(vtab)->width);
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn == rows_column && c.op == SQLITE_INDEX_CONSTRAINT_EQ && c.usable) {
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->estimatedCost = 1;
      return SQLITE_OK;
    }
  }
  return SQLITE_CONSTRAINT;
}

int open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = &(new Cursor)->base;
  return SQLITE_OK;
}

int close(sqlite3_vtab_cursor* cursor) {
  delete reinterpret_cast<Cursor*>(cursor);
  return SQLITE_OK;
}

int filter(sqlite3_vtab_cursor* base, int, const char*, int argc, sqlite3_value** argv) {
  auto& c = *reinterpret_cast<Cursor*>(base);
  c.rows = argc == 1 ? static_cast<const BatchRows*>(sqlite3_value_pointer(argv[0], kPointerType)) : nullptr;
  c.at = c.rows ? c.rows->first : 0;
  c.end = c.rows ? c.rows->first + c.rows->count : 0;
  return SQLITE_OK;
}

int next(sqlite3_vtab_cursor* base) {
  ++reinterpret_cast<Cursor*>(base)->at;
  return SQLITE_OK;
}

int eof(sqlite3_vtab_cursor* base) {
  const auto& c = *reinterpret_cast<Cursor*>(base);
  return c.at >= c.end;
}

int column(sqlite3_vtab_cursor* base, sqlite3_context* context, int i) {
  const auto& c = *reinterpret_cast<Cursor*>(base);
  try {
    result_value(context, c.rows->batch->at(c.at, static_cast<std::size_t>(i)));
  } catch (const std::exception& e) {
    sqlite3_result_error(context, e.what(), -1);
  }
  return SQLITE_OK;
}

int rowid(sqlite3_vtab_cursor* base, sqlite3_int64* out) {
  *out = static_cast<sqlite3_int64>(reinterpret_cast<Cursor*>(base)->at);
  return SQLITE_OK;
}

// Eponymous only (no xCreate): the table exists in every schema without CREATE VIRTUAL TABLE.
const sqlite3_module& module() {
  static const sqlite3_module m = [] {
    sqlite3_module m{};
    m.xConnect = &connect;
    m.xBestIndex = &best_index;
    m.xDisconnect = &disconnect;
    m.xOpen = &open;
    m.xClose = &close;
    m.xFilter = &filter;
    m.xNext = &next;
    m.xEof = &eof;
    m.xColumn = &column;
    m.xRowid = &rowid;
    return m;
  }();
  return m;
}

}  // namespace

std::string register_batch_table(sqlite3* db, std::size_t width) {
  std::string name = fmt::format("weir_batch_{}", width);
  if (sqlite3_create_module_v2(db, name.c_str(), &module(), reinterpret_cast<void*>(width), nullptr) != SQLITE_OK)
    throw_error(db, sqlite3_errcode(db), "registering the batch table");
  return name;
}

void bind_rows(sqlite3_stmt* stmt, int index, const BatchRows& rows) {
  int rc = sqlite3_bind_pointer(stmt, index, const_cast<BatchRows*>(&rows), kPointerType, nullptr);
  if (rc != SQLITE_OK) throw_error(sqlite3_db_handle(stmt), rc, "binding the batch");
}

}  // namespace weir::db::sqlite
