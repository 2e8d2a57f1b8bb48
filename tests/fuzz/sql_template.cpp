// `sql:` of a sql_call query: a template with {{record.x}} references, as the filter reads it
// from YAML, rendered for each dialect, and planned for batching (one IN (…) query for many
// keys). Invariants: one piece more than fields; every field's path reads back as itself;
// the batched rewrite lexes as cleanly as its template (nothing left open) and names its key.
#include <cstddef>
#include <cstdint>

#include "db/mysql/dialect.hpp"
#include "db/postgres/dialect.hpp"
#include "db/sqlite/dialect.hpp"
#include "fuzz_check.hpp"
#include "lookup/sql_batch.hpp"
#include "lookup/sql_template.hpp"

namespace weir::fuzz {
namespace {

void check_batch(const lookup::SqlTemplate& t) {
  std::string why_not;
  auto plan = lookup::BatchPlan::make(t, why_not);
  if (!plan) {
    require(!why_not.empty(), fmt::format("`{}` cannot be batched, and no reason is given", t.sql()));
    return;
  }
  db::mysql::MyDialect dialect;
  std::string batched = plan->render(dialect, 3);
  require(batched.find(plan->key()) != std::string::npos, "the batched query lacks its key column");
  db::sql::Scan scan = db::sql::scan(batched, lookup::kTemplateLex);
  require(!scan.unclosed, fmt::format("`{}` batched as `{}` leaves a {} open", t.sql(), batched,
                                      scan.unclosed ? scan.unclosed->what : ""));
}

void check(std::string_view sql) {
  lookup::SqlTemplate t;
  try {
    t = lookup::SqlTemplate::parse(sql, "pipelines.p.filters[0].sql_call.queries[0].sql");
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});
    return;
  }
  require(t.pieces().size() == t.fields().size() + 1, "pieces and fields do not alternate");
  for (const FieldPath& f : t.fields()) {
    std::string problem;
    auto again = parse_field_path(f.to_string(), problem);
    require(again && *again == f, fmt::format("field {} does not read back: {}", f.to_string(), problem));
  }
  db::postgres::PgDialect pg;
  db::mysql::MyDialect my;
  db::sqlite::SqliteDialect lite;
  for (const db::Dialect* d : {static_cast<const db::Dialect*>(&pg), static_cast<const db::Dialect*>(&my),
                               static_cast<const db::Dialect*>(&lite)})
    (void)t.render(*d);
  check_batch(t);
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check({reinterpret_cast<const char*>(data), size});
  return 0;
}
