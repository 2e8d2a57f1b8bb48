#include "db/mysql/staged_upsert.hpp"

#include <fmt/format.h>

#include <functional>

#include "db/common/sql_writer.hpp"

namespace weir::db::mysql {
namespace {

std::string key_match(const Dialect& d, const WriteSpec& spec) {
  std::string out;
  for (const std::string& k : spec.key) {
    std::string q = d.quote_identifier(k);
    out += (out.empty() ? "" : " AND ") + fmt::format("weir_target.{0} = weir_stage.{0}", q);
  }
  return out;
}

}  // namespace

StagedUpsert staged_upsert(const Dialect& d, const WriteSpec& spec) {
  std::string identity = d.quote_table(spec.table);
  for (const std::string& c : spec.columns) identity += '\0' + c;
  StagedUpsert s;
  s.stage = TableRef{"", fmt::format("weir_stage_{:016x}", std::hash<std::string>{}(identity))};
  const std::string stage = d.quote_table(s.stage);
  const std::string target = d.quote_table(spec.table);
  const std::string columns = d.quote_identifiers(spec.columns);
  s.create = fmt::format("DROP TEMPORARY TABLE IF EXISTS {0}; CREATE TEMPORARY TABLE {0} AS SELECT {1} FROM {2} WHERE FALSE",
                         stage, columns, target);
  s.empty = "DELETE FROM " + stage;
  const std::vector<std::string> updates = non_key_columns(spec);
  if (spec.mode == WriteMode::upsert && !updates.empty()) {
    std::string sets;
    for (const std::string& c : updates)
      sets += fmt::format("{0}weir_target.{1} = weir_stage.{1}", sets.empty() ? "" : ", ", d.quote_identifier(c));
    s.update = fmt::format("UPDATE {} AS weir_target JOIN {} AS weir_stage ON {} SET {} WHERE {}", target, stage,
                           key_match(d, spec), sets, d.differs(updates, "weir_target", "weir_stage"));
  }
  s.insert = fmt::format(
      "INSERT INTO {0} ({1}) SELECT {1} FROM {2} AS weir_stage WHERE NOT EXISTS (SELECT 1 FROM {0} AS weir_target "
      "WHERE {3})",
      target, columns, stage, key_match(d, spec));
  return s;
}

}  // namespace weir::db::mysql
