#include "modules/filter/sql_call_config.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "weir/error.hpp"

namespace weir::modules {
namespace {

using config::Field;

const config::Spec& cache_spec() {
  static const config::Spec s{
      "cache",
      "Keeps each key's rows in memory, least recently used out first.",
      {
          Field{.name = "ttl", .shapes = config::kDuration, .default_value = "5m",
                .description = "How long a key's rows are served from memory.", .example = "30s"},
          Field{.name = "max_entries", .shapes = config::kInteger, .default_value = "10000",
                .description = "Keys kept at most.", .example = "100000", .minimum = 1, .maximum = 100'000'000},
          Field{.name = "negative_ttl", .shapes = config::kDuration,
                .description = "How long a key that has no row is remembered as such (absent: `ttl`); shorter "
                               "sees rows added later sooner.",
                .example = "30s"},
      }};
  return s;
}

const config::Spec& preload_spec() {
  static const config::Spec s{
      "preload",
      "Reads the whole lookup table into memory with one query and joins there.",
      {
          Field{.name = "refresh", .shapes = config::kDuration, .required = true,
                .description = "How old the rows in memory may get before the query runs again.", .example = "10m"},
      }};
  return s;
}

const config::Spec& merge_spec() {
  static const config::Spec s{
      "merge",
      "Where the rows go, when not `columns`: one of these two options.",
      {
          Field{.name = "nested",
                .description = "Adds this JSON field holding the first row as an object (null when none).",
                .example = "customer"},
          Field{.name = "rows",
                .description = "Adds this JSON field holding every row, an array of objects ([] when none).",
                .example = "orders"},
      }};
  return s;
}

const config::Spec& query_spec() {
  static const config::Spec s{
      "queries item",
      "One lookup, run for the records that match `when`.",
      {
          Field{.name = "sql", .required = true,
                .description = "The SELECT; `{{record.field}}` (or `{{record.a.b}}` inside a JSON field) becomes a "
                               "bound parameter, never text.",
                .example = "\"SELECT name AS customer_name, tier FROM customers WHERE id = {{record.customer_id}}\""},
          Field{.name = "merge", .shapes = config::kString | config::kObject, .default_value = "columns",
                .description = "`columns` adds the first row's columns to the record (NULL when no row); "
                               "`{ nested: f }` or `{ rows: f }` add one JSON field f.",
                .example = "{ nested: customer }", .nested = &merge_spec()},
          Field{.name = "cache", .shapes = config::kObject,
                .description = "Remember results by key (absent: every lookup asks the database).",
                .example = "{ ttl: 5m, max_entries: 100000 }", .nested = &cache_spec()},
          Field{.name = "preload", .shapes = config::kObject,
                .description = "For small lookup tables: one query reads every key's rows (the SQL without its "
                               "`column = {{…}}` condition, which it must have), refreshed as often as said; "
                               "records are then joined in memory. Keys match exactly (case and all).",
                .example = "{ refresh: 10m }", .nested = &preload_spec()},
          Field{.name = "stale_for", .shapes = config::kDuration,
                .description = "While the lookup database cannot be reached (after `retry`), keys are answered with "
                               "the rows cached or preloaded for them no longer ago than this, and progress lines "
                               "say so; older or unknown keys get `on_error`. Needs `cache` or `preload`.",
                .example = "10m"},
          Field{.name = "on_error", .default_value = "fail", .choices = {"fail", "skip", "null", "dead_letter"},
                .description = "When a lookup fails after retries: stop the pipeline, drop the record, keep it with "
                               "NULL merged fields, or send it to the dead-letter queue.",
                .example = "dead_letter"},
          Field{.name = "batch", .shapes = config::kBoolean, .default_value = "true",
                .description = "Look up a batch's keys with one `IN (…)` query where the SQL allows "
                               "(a single `column = {{…}}` condition).",
                .example = "false"},
      }};
  return s;
}

const config::Spec& spec() {
  static const config::Spec s{
      "sql_call",
      "Enriches records with the rows of parameterised SQL lookups, batched and cached.",
      {
          Field{.name = "connection", .required = true, .description = "Name of the connection to query.",
                .example = "crm"},
          Field{.name = "when",
                .description = "Only records matching this condition are looked up; the others pass with NULL "
                               "in the new fields. `==` `!=` `<` `<=` `>` `>=`, `and` `or` `not`, `null`.",
                .example = "\"record.customer_id != null and record.total > 100\""},
          Field{.name = "queries", .shapes = config::kObjectList, .required = true,
                .description = "The lookups, in order; a later one may read fields an earlier one added.",
                .example = "[{ sql: \"SELECT tier FROM customers WHERE id = {{record.customer_id}}\" }]",
                .nested = &query_spec()},
          retry_field(),
      }};
  return s;
}

[[noreturn]] void bad(const std::string& path, std::string_view problem) {
  throw Error(ErrorKind::config, fmt::format("{}: {}", path, problem));
}

void read_merge(const config::Section& item, QueryConfig& q) {
  YAML::Node merge = item.node("merge");
  if (merge.IsScalar()) {
    if (merge.Scalar() != "columns") bad(item.path_of("merge"), "expected `columns`, `{ nested: field }` or `{ rows: field }`");
    return;
  }
  config::Section m(merge, merge_spec(), item.path_of("merge"));
  if (m.has("nested") == m.has("rows")) bad(item.path_of("merge"), "give exactly one of `nested` and `rows`");
  q.merge = m.has("nested") ? MergeKind::nested : MergeKind::rows;
  q.field = m.string(m.has("nested") ? "nested" : "rows");
  if (q.field.empty() || !std::all_of(q.field.begin(), q.field.end(), is_field_char))
    bad(m.path_of(m.has("nested") ? "nested" : "rows"),
        fmt::format("`{}` is not a field name (letters, digits, _ and $)", q.field));
}

std::chrono::milliseconds positive_duration(const config::Section& section, const std::string& name) {
  std::chrono::milliseconds d = section.duration(name);
  if (d.count() <= 0) bad(section.path_of(name), "must be longer than 0");
  return d;
}

QueryConfig read_query(const config::Section& item) {
  QueryConfig q;
  q.path = item.path();
  q.sql = lookup::SqlTemplate::parse(item.string("sql"), item.path_of("sql"));
  read_merge(item, q);
  // Unquoted, `null` is YAML's null rather than a string: both mean the choice `null`.
  const std::string on_error = item.written_null("on_error") ? "null" : item.string("on_error");
  q.on_error = on_error == "skip"          ? OnError::skip
               : on_error == "null"        ? OnError::null
               : on_error == "dead_letter" ? OnError::dead_letter
                                           : OnError::fail;
  q.options.batch = item.boolean("batch");
  if (item.has("cache")) {
    config::Section cache(item.node("cache"), cache_spec(), item.path_of("cache"));
    lookup::CacheOptions& options = q.options.cache.emplace();
    options.max_entries = static_cast<std::size_t>(cache.integer("max_entries"));  // its range is checked by the spec
    options.ttl = positive_duration(cache, "ttl");
    if (cache.has("negative_ttl")) options.negative_ttl = positive_duration(cache, "negative_ttl");
  }
  if (item.has("preload")) {
    if (item.has("cache")) bad(item.path_of("preload"), "give `preload` or `cache`, not both");
    config::Section preload(item.node("preload"), preload_spec(), item.path_of("preload"));
    q.options.preload_refresh = positive_duration(preload, "refresh");
    std::string why_not;
    if (!lookup::BatchPlan::make(q.sql, why_not))
      bad(item.path_of("preload"),
          fmt::format("needs a query of the form SELECT … FROM … WHERE column = {{{{record.field}}}}; this one {}",
                      why_not));
  }
  if (item.has("stale_for")) {
    if (!item.has("cache") && !item.has("preload")) bad(item.path_of("stale_for"), "needs `cache` or `preload`");
    q.options.stale_for = positive_duration(item, "stale_for");
  }
  return q;
}

}  // namespace

const config::Spec& sql_call_spec() { return spec(); }

SqlCallConfig read_sql_call_config(const config::Section& section, const pipeline::ModuleContext& context) {
  SqlCallConfig c;
  c.path = section.path();
  c.pool = context.pool(context.connection(section, "connection"));
  if (section.has("when")) {
    try {
      c.when = pipeline::Expression::parse(section.string("when"));
    } catch (Error& e) {
      throw e.add_context(section.path_of("when"));
    }
  }
  for (const config::Section& item : section.object_list("queries")) c.queries.push_back(read_query(item));
  c.retry = read_retry_policy(section);
  if (c.queries.empty()) bad(section.path_of("queries"), "needs at least one query");
  for (std::size_t i = 0; i < c.queries.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (c.queries[i].merge != MergeKind::columns && c.queries[i].field == c.queries[j].field &&
          c.queries[j].merge != MergeKind::columns)
        bad(c.queries[i].path + ".merge", fmt::format("field `{}` is already added by {}", c.queries[i].field,
                                                       c.queries[j].path));
  return c;
}

}  // namespace weir::modules
