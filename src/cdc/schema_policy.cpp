#include "cdc/schema_policy.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "weir/error.hpp"

namespace weir::cdc {
namespace {

using config::Field;

// PostgreSQL's type OIDs (pg_type.dat) and its variable-length header in type modifiers.
constexpr Oid kInt2 = 21, kInt4 = 23, kInt8 = 20, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700, kText = 25,
              kVarchar = 1043, kBpchar = 1042, kTime = 1083, kTimestamp = 1114, kTimestamptz = 1184, kTimetz = 1266,
              kInterval = 1186;
constexpr int kVarHeader = 4;

const config::Spec& policy_spec() {
  static const std::vector<std::string> kActions{"apply", "ignore", "stop"};
  static const config::Spec s{
      "schema_changes",
      "What happens when a streamed table changes shape at the source: `apply` alters the output's target to "
      "match (sql_apply), `ignore` leaves the target as it is, `stop` ends the run with a line naming the "
      "table, the column and the fix, nothing after the change written. See docs/cdc.md, Schema changes.",
      {
          Field{.name = "add_column", .default_value = "apply", .choices = kActions,
                .description = "A column added. ignore: sql_apply does not write it.", .example = "ignore"},
          Field{.name = "drop_column", .default_value = "stop", .choices = kActions,
                .description = "A column dropped. apply: sql_apply drops it from the target; ignore: the target "
                               "keeps it and inserts leave it to its default.",
                .example = "ignore"},
          Field{.name = "type_change", .default_value = "widen", .choices = {"widen", "apply", "ignore", "stop"},
                .description = "A column's type or modifier changed. widen: a change every old value fits "
                               "exactly (int4 to int8, numeric(5,3) to numeric(10,5), varchar(10) to text) is "
                               "applied, any other stops.",
                .example = "stop"},
          Field{.name = "rename", .default_value = "stop", .choices = kActions,
                .description = "A column renamed; seen only with DDL capture (`weir cdc install-ddl-capture`): "
                               "without it a rename is a drop and an add. ignore: the target keeps the old name "
                               "and gets the values under it.",
                .example = "apply"},
      }};
  return s;
}

SchemaAction action_named(const std::string& name) {
  if (name == "apply") return SchemaAction::apply;
  if (name == "ignore") return SchemaAction::ignore;
  if (name == "widen") return SchemaAction::widen;
  return SchemaAction::stop;
}

// Digits before the point a numeric's modifier allows; nullopt: unconstrained.
std::optional<int> integer_digits(std::int32_t typmod) {
  if (typmod < kVarHeader) return std::nullopt;
  return (((typmod - kVarHeader) >> 16) & 0xffff) - ((typmod - kVarHeader) & 0x7ff);
}
int numeric_scale(std::int32_t typmod) { return typmod < kVarHeader ? 1000 : (typmod - kVarHeader) & 0x7ff; }

bool numeric_holds(std::int32_t typmod, int digits) {
  auto allowed = integer_digits(typmod);
  return !allowed || *allowed >= digits;
}

bool same_type_widens(Oid type, std::int32_t from, std::int32_t to) {
  if (to == -1) return type == kNumeric || type == kVarchar || type == kBpchar || type == kTime ||
                       type == kTimetz || type == kTimestamp || type == kTimestamptz || type == kInterval;
  if (from == -1) return false;
  switch (type) {
    case kNumeric: {
      auto a = integer_digits(from), b = integer_digits(to);
      return a && b && *b >= *a && numeric_scale(to) >= numeric_scale(from);
    }
    case kVarchar:
    case kBpchar:
    case kTime:
    case kTimetz:
    case kTimestamp:
    case kTimestamptz: return to >= from;
    default: return false;
  }
}

}  // namespace

const config::Field& schema_changes_field() {
  static const Field f{.name = "schema_changes", .shapes = config::kObject, .description = policy_spec().description,
                       .example = "{ add_column: apply, drop_column: ignore, type_change: stop, rename: stop }",
                       .nested = &policy_spec()};
  return f;
}

SchemaPolicy read_schema_policy(const config::Section& input) {
  YAML::Node node = input.has("schema_changes") ? input.node("schema_changes") : YAML::Node(YAML::NodeType::Map);
  config::Section s(node, policy_spec(), input.path_of("schema_changes"));
  return {.add_column = action_named(s.string("add_column")),
          .drop_column = action_named(s.string("drop_column")),
          .type_change = action_named(s.string("type_change")),
          .rename = action_named(s.string("rename")),
          .path = s.path()};
}

bool widens(const ShapeColumn& from, const ShapeColumn& to) {
  if (from.type == to.type) return same_type_widens(from.type, from.typmod, to.typmod);
  switch (from.type) {
    case kInt2: return to.type == kInt4 || to.type == kInt8 || (to.type == kNumeric && numeric_holds(to.typmod, 5));
    case kInt4: return to.type == kInt8 || (to.type == kNumeric && numeric_holds(to.typmod, 10));
    case kInt8: return to.type == kNumeric && numeric_holds(to.typmod, 19);
    case kFloat4: return to.type == kFloat8;
    case kVarchar: return to.type == kText;
    default: return false;
  }
}

std::vector<ColumnDiff> diff_by_name(const std::vector<ShapeColumn>& before, const std::vector<ShapeColumn>& after) {
  std::vector<ColumnDiff> diffs;
  auto named = [](const std::vector<ShapeColumn>& in, const std::string& name) {
    return std::ranges::find(in, name, &ShapeColumn::name);
  };
  for (const ShapeColumn& old : before) {
    auto now = named(after, old.name);
    if (now == after.end()) diffs.push_back({ColumnChange::Kind::drop, old, {}});
    else if (!(*now == old)) diffs.push_back({ColumnChange::Kind::type, old, *now});
  }
  for (const ShapeColumn& now : after)
    if (named(before, now.name) == before.end()) diffs.push_back({ColumnChange::Kind::add, {}, now});
  return diffs;
}

std::vector<ColumnDiff> diff_statement(const std::vector<ShapeColumn>& before, const std::vector<std::string>& dropped,
                                       const std::vector<ShapeColumn>& after) {
  std::vector<ColumnDiff> diffs;
  std::vector<ShapeColumn> kept;
  for (const ShapeColumn& c : before) {
    if (std::ranges::count(dropped, c.name)) diffs.push_back({ColumnChange::Kind::drop, c, {}});
    else kept.push_back(c);
  }
  // More columns than the statement left: not one statement's effect (a shape missed); by name.
  if (after.size() < kept.size()) return diff_by_name(before, after);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (kept[i].name != after[i].name) {
      if (kept[i].type != after[i].type || kept[i].typmod != after[i].typmod) return diff_by_name(before, after);
      diffs.push_back({ColumnChange::Kind::rename, kept[i], after[i]});
    } else if (!(kept[i] == after[i])) {
      diffs.push_back({ColumnChange::Kind::type, kept[i], after[i]});
    }
  }
  for (std::size_t i = kept.size(); i < after.size(); ++i) diffs.push_back({ColumnChange::Kind::add, {}, after[i]});
  return diffs;
}

bool decide(const SchemaPolicy& policy, const std::string& table, const ColumnDiff& diff, Lsn at,
            const std::string& type_before, const std::string& type_after) {
  SchemaAction action = SchemaAction::stop;
  std::string what;
  switch (diff.kind) {
    case ColumnChange::Kind::add:
      action = policy.add_column;
      what = fmt::format("column `{}` ({}) was added", diff.after.name, type_after);
      break;
    case ColumnChange::Kind::drop:
      action = policy.drop_column;
      what = fmt::format("column `{}` was dropped", diff.before.name);
      break;
    case ColumnChange::Kind::type:
      action = policy.type_change;
      if (action == SchemaAction::widen) action = widens(diff.before, diff.after) ? SchemaAction::apply : SchemaAction::stop;
      what = fmt::format("column `{}` changed type from {} to {}{}", diff.after.name, type_before, type_after,
                         policy.type_change == SchemaAction::widen ? ", which is no widening" : "");
      break;
    case ColumnChange::Kind::rename:
      action = policy.rename;
      what = fmt::format("column `{}` was renamed to `{}`", diff.before.name, diff.after.name);
      break;
  }
  if (action != SchemaAction::stop) return action == SchemaAction::apply;
  const std::string option = fmt::format("{}.{}", policy.path, to_string(diff.kind));
  throw Error(ErrorKind::config,
              fmt::format("table {}: {} at {}, and {} is `{}`: alter the target to match if needed, set {} to "
                          "`apply` (weir alters the target) or `ignore` (the target is left as it is), and run "
                          "again; nothing from this change on was written",
                          table, what, format_lsn(at), option,
                          diff.kind == ColumnChange::Kind::type && policy.type_change == SchemaAction::widen ? "widen"
                                                                                                             : "stop",
                          option));
}

}  // namespace weir::cdc
