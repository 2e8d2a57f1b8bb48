#include "mcp/plan_check.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "db/postgres/connection.hpp"
#include "mcp/statement_classifier.hpp"
#include "query/remote_traits.hpp"
#include "weir/batch.hpp"
#include "weir/error.hpp"

namespace weir::mcp {

using nlohmann::json;

namespace {

void collect_strings(const json& value, std::vector<std::string>& out) {
  if (value.is_string()) out.push_back(value.get<std::string>());
  if (value.is_structured())
    for (const json& member : value) collect_strings(member, out);
}

}  // namespace

void refuse_denied(const QueryLimits& limits, const std::vector<std::string>& functions) {
  for (const std::string& name : functions)
    if (limits.denied_functions.contains(name))
      throw Error(ErrorKind::permission,
                  fmt::format("`{}()` is denied on this connection (its mcp.denied_functions in the config)", name));
}

void begin_read_only(db::Connection& connection) {
  for (std::string_view statement : query::traits_of(connection.dialect()).snapshot_begin)
    connection.execute_script(statement);
}

std::vector<std::string> plan_functions(db::Connection& connection, const std::string& statement, bool open_snapshot,
                                        const SentStatement& sent) {
  constexpr std::string_view kExplain = "EXPLAIN (VERBOSE, FORMAT JSON) ";
  const auto& begin = query::traits_of(connection.dialect()).snapshot_begin;
  auto* pg = dynamic_cast<db::postgres::PgConnection*>(&connection);
  if (open_snapshot && !(pg && begin.size() == 1)) {
    begin_read_only(connection);
    open_snapshot = false;
  }
  std::vector<std::string> texts;
  try {
    if (open_snapshot) {
      db::postgres::ResultHandle plan = pg->run_after(begin.front(), std::string(kExplain) + statement);
      for (int r = 0; r < PQntuples(plan.get()); ++r) collect_strings(json::parse(PQgetvalue(plan.get(), r, 0)), texts);
    } else {
      auto cursor = connection.query(std::string(kExplain) + statement);
      Batch batch;
      while (cursor->next(batch, 16))
        for (std::size_t r = 0; r < batch.rows(); ++r) collect_strings(json::parse(batch.at(r, 0).to_text()), texts);
    }
  } catch (const Error& e) {
    throw located(e, {sent.sql, sent.begin, kExplain.size()});
  }
  std::vector<std::string> functions;
  for (const std::string& text : texts)
    for (std::string& name : called_functions(text, connection.dialect().sql_syntax())) functions.push_back(std::move(name));
  return functions;
}

void refuse_volatile(db::Connection& connection, const QueryLimits& limits, const std::vector<std::string>& functions) {
  refuse_denied(limits, functions);
  std::vector<Value> names;
  std::string placeholders;
  for (const std::string& name : functions) {
    if (limits.allowed_functions.contains(name)) continue;
    if (denied_function(name, SqlFamily::postgres)) throw Error(ErrorKind::permission, fmt::format("the plan calls `{}()`, which acts outside the query: not on a read-only connection", name));
    names.emplace_back(name);
    placeholders += fmt::format("{}${}", placeholders.empty() ? "" : ", ", names.size());
  }
  if (names.empty()) return;
  auto volatile_ones = connection.query(
      "SELECT DISTINCT proname::text FROM pg_catalog.pg_proc WHERE provolatile = 'v' AND proname IN (" + placeholders +
          ") ORDER BY 1",
      names);
  Batch batch;
  if (volatile_ones->next(batch, 1))
    throw Error(ErrorKind::permission,
                fmt::format("`{}()` is a volatile function, which may change something: not on a read-only connection "
                            "(allow it by name in the config if it does not)",
                            batch.at(0, 0).to_text()));
}

}  // namespace weir::mcp
