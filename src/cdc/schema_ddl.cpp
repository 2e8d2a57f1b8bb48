#include "cdc/schema_ddl.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "weir/batch.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

constexpr std::string_view kInstall = R"sql(
CREATE OR REPLACE FUNCTION public.weir_capture_ddl() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $weir$
DECLARE r record;
BEGIN
  FOR r IN SELECT DISTINCT c.oid, n.nspname, c.relname
             FROM pg_event_trigger_ddl_commands() d
             JOIN pg_class c ON c.oid = d.objid
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE d.classid = 'pg_class'::regclass AND c.relkind IN ('r', 'p')
  LOOP
    PERFORM pg_logical_emit_message(true, 'weir.ddl', json_build_object(
      'schema', r.nspname, 'name', r.relname,
      'columns', (SELECT coalesce(json_agg(json_build_array(a.attname, a.atttypid::bigint, a.atttypmod,
                      CASE WHEN a.atthasmissing THEN (a.attmissingval::text::text[])[1] END) ORDER BY a.attnum), '[]')
                    FROM pg_attribute a
                   WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''))::text);
  END LOOP;
END $weir$;
CREATE OR REPLACE FUNCTION public.weir_capture_drop() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $weir$
DECLARE r record;
BEGIN
  FOR r IN SELECT address_names FROM pg_event_trigger_dropped_objects() WHERE object_type = 'table column'
  LOOP
    PERFORM pg_logical_emit_message(true, 'weir.ddl', json_build_object(
      'schema', r.address_names[1], 'name', r.address_names[2], 'dropped', json_build_array(r.address_names[3]))::text);
  END LOOP;
END $weir$;
DROP EVENT TRIGGER IF EXISTS weir_capture_ddl;
DROP EVENT TRIGGER IF EXISTS weir_capture_drop;
CREATE EVENT TRIGGER weir_capture_ddl ON ddl_command_end EXECUTE FUNCTION public.weir_capture_ddl();
CREATE EVENT TRIGGER weir_capture_drop ON sql_drop EXECUTE FUNCTION public.weir_capture_drop();
)sql";

Error bad_message(const LogicalMessage& message, std::string_view why) {
  return Error(ErrorKind::data, fmt::format("a `{}` message at {} is no DDL capture message ({}): {}",
                                            kDdlMessagePrefix, format_lsn(message.lsn), why,
                                            message.content.substr(0, 200)));
}

}  // namespace

std::optional<DdlEvent> read_ddl_message(const LogicalMessage& message) {
  if (message.prefix != kDdlMessagePrefix) return std::nullopt;
  nlohmann::json json = nlohmann::json::parse(message.content, nullptr, false);
  if (!json.is_object()) throw bad_message(message, "not a JSON object");
  try {
    DdlEvent event{json.at("schema").get<std::string>(), json.at("name").get<std::string>(), {}, std::nullopt, {}};
    if (json.contains("dropped")) event.dropped = json.at("dropped").get<std::vector<std::string>>();
    if (json.contains("columns")) {
      event.shape.emplace();
      for (const auto& c : json.at("columns")) {
        event.shape->push_back({c.at(0).get<std::string>(), c.at(1).get<Oid>(), c.at(2).get<std::int32_t>()});
        if (c.size() > 3 && c.at(3).is_string()) event.existing[c.at(0).get<std::string>()] = c.at(3).get<std::string>();
      }
    }
    return event;
  } catch (const nlohmann::json::exception& e) {
    throw bad_message(message, e.what());
  }
}

std::optional<std::string> existing_value(db::Connection& sql, const std::string& schema, const std::string& table,
                                          const std::string& column) {
  std::vector<Value> params{Value(schema), Value(table), Value(column)};
  Batch rows;
  auto cursor = sql.query("SELECT (a.attmissingval::text::text[])[1] FROM pg_attribute a JOIN pg_class c ON "
                          "c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
                          "AND c.relname = $2 AND a.attname = $3 AND a.atthasmissing AND NOT a.attisdropped",
                          params);
  if (!cursor->next(rows, 1) || rows.empty() || rows.at(0, 0).is_null()) return std::nullopt;
  return rows.at(0, 0).to_text();
}

void install_ddl_capture(db::Connection& sql, std::string_view describe) {
  Batch rows;
  auto cursor = sql.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
  if (!cursor->next(rows, 1) || rows.empty() || !rows.at(0, 0).as_bool())
    throw Error(ErrorKind::permission,
                fmt::format("installing DDL capture on {} needs a superuser (PostgreSQL lets only superusers "
                            "create event triggers): run it with a superuser's connection",
                            describe));
  sql.begin();
  try {
    sql.execute_script(std::string(kInstall));
    sql.commit();
  } catch (...) {
    sql.rollback();
    throw;
  }
}

bool remove_ddl_capture(db::Connection& sql) {
  Batch rows;
  auto cursor = sql.query("SELECT count(*) FROM pg_event_trigger WHERE evtname IN ('weir_capture_ddl', 'weir_capture_drop')");
  cursor->next(rows, 1);
  const bool present = !rows.empty() && rows.at(0, 0).as_int() > 0;
  sql.execute_script("DROP EVENT TRIGGER IF EXISTS weir_capture_ddl; DROP EVENT TRIGGER IF EXISTS weir_capture_drop; "
                     "DROP FUNCTION IF EXISTS public.weir_capture_ddl(); DROP FUNCTION IF EXISTS public.weir_capture_drop();");
  return present;
}

}  // namespace weir::cdc
