#include "pipeline/change_letters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "pipeline/checkpoint.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

constexpr ChangeOp kOps[] = {ChangeOp::insert, ChangeOp::update, ChangeOp::remove, ChangeOp::truncate};

std::string source_text(const SourceTable& s) { return s.schema.empty() ? s.name : s.schema + "." + s.name; }

void append_object(std::string& json, const Batch& rows, std::span<const Value> cells) {
  json += '{';
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (c) json += ',';
    append_json_string(json, rows.schema()[c].name);
    json += ':';
    cells[c].append_json(json);
  }
  json += '}';
}

std::vector<std::string> unsent_names(const Batch& rows, std::size_t row) {
  std::vector<std::string> names;
  if (rows.all_sent(row)) return names;
  for (std::size_t c = 0; c < rows.width(); ++c)
    if (!rows.sent(row, c)) names.push_back(rows.schema()[c].name);
  return names;
}

nlohmann::ordered_json header(const Batch& rows, std::size_t row) {
  nlohmann::ordered_json h;
  h["op"] = std::string(to_string(rows.op(row)));
  h["schema"] = rows.schema().source().schema;
  h["table"] = rows.schema().source().name;
  if (const ChangePosition* p = rows.position(row))
    h["position"] = nlohmann::ordered_json::array({p->commit_lsn, p->txid, p->commit_time, p->index});
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (const Column& c : rows.schema())
    columns.push_back(
        nlohmann::ordered_json::array({c.name, std::string(to_string(c.type)), c.primary_key, c.native_type,
                                       c.native_type_id}));
  h["columns"] = std::move(columns);
  h["unsent"] = unsent_names(rows, row);
  return h;
}

ChangeOp op_named(const std::string& name) {
  for (ChangeOp op : kOps)
    if (to_string(op) == name) return op;
  throw Error(ErrorKind::data, fmt::format("`{}` is no change", name));
}

std::vector<Column> columns_of(const nlohmann::ordered_json& list) {
  std::vector<Column> columns;
  for (const auto& entry : list) {
    Column c;
    c.name = entry.at(0).get<std::string>();
    auto type = type_named(entry.at(1).get<std::string>());
    if (!type) throw Error(ErrorKind::data, fmt::format("column `{}` has an unknown type", c.name));
    c.type = *type;
    c.primary_key = entry.at(2).get<bool>();
    c.native_type = entry.at(3).get<std::string>();
    c.native_type_id = entry.at(4).get<std::uint32_t>();
    columns.push_back(std::move(c));
  }
  return columns;
}

// "16/B3748:3": a change's commit LSN and index, as to_string(ChangePosition) writes them.
std::optional<ChangePosition> position_named(std::string_view text) {
  const auto slash = text.find('/'), colon = text.rfind(':');
  if (slash == std::string_view::npos || colon == std::string_view::npos || colon < slash) return std::nullopt;
  auto read = [](std::string_view part, std::uint64_t& out, int base) {
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out, base);
    return !part.empty() && ec == std::errc{} && end == part.data() + part.size();
  };
  std::uint64_t high = 0, low = 0, index = 0;
  if (!read(text.substr(0, slash), high, 16) || !read(text.substr(slash + 1, colon - slash - 1), low, 16) ||
      !read(text.substr(colon + 1), index, 10) || high > 0xFFFFFFFF || low > 0xFFFFFFFF)
    return std::nullopt;
  return ChangePosition{.commit_lsn = high << 32 | low, .index = index};
}

// A value of an older letter's JSON before image, as a value of its column's `type` (the row
// after the change tells it; null: it does not). Bytes were kept as base64 only.
Value value_of_json(const nlohmann::ordered_json& j, Type type, const std::string& column) {
  if (j.is_null()) return Value();
  if (j.is_boolean() && (type == Type::boolean || type == Type::null)) return Value(j.get<bool>());
  if (type == Type::json) return Value(Json{j.dump()});
  if (j.is_number_integer() && (type == Type::int64 || type == Type::null)) return Value(j.get<std::int64_t>());
  if (j.is_number() && (type == Type::float64 || type == Type::null)) return Value(j.get<double>());
  if (j.is_string() && type != Type::bytes && type != Type::array)
    if (auto v = value_from_text(type == Type::null ? Type::text : type, j.get<std::string>())) return std::move(*v);
  throw Error(ErrorKind::data, fmt::format("its before image's `{}` ({}) cannot be read back as a {}", column, j.dump(),
                                           to_string(type)));
}

// The older letter's columns: the names of its original record, typed as its values.
std::vector<Column> older_columns(std::string_view original, const std::vector<Value>& values) {
  auto names = nlohmann::ordered_json::parse(original);
  if (!names.is_object() || names.size() != values.size())
    throw Error(ErrorKind::data, "its original record's names and values differ in number");
  std::vector<Column> columns;
  for (auto it = names.begin(); it != names.end(); ++it) {
    Column c;
    c.name = it.key();
    c.type = values[columns.size()].type();
    columns.push_back(std::move(c));
  }
  return columns;
}

}  // namespace

std::string change_json(const Batch& rows, std::size_t row) {
  std::string json = R"({"op":)";
  append_json_string(json, to_string(rows.op(row)));
  json += R"(,"table":)";
  append_json_string(json, source_text(rows.schema().source()));
  if (const ChangePosition* position = rows.position(row)) {
    json += R"(,"position":)";
    append_json_string(json, to_string(*position));
  }
  if (!rows.before(row).empty()) {
    json += R"(,"before":)";
    append_object(json, rows, rows.before(row));
  }
  if (rows.op(row) != ChangeOp::remove && rows.op(row) != ChangeOp::truncate) {
    json += R"(,"after":)";
    append_object(json, rows, rows.row(row));
  }
  std::vector<std::string> unchanged = unsent_names(rows, row);
  if (!unchanged.empty()) {
    json += R"(,"unchanged":[)";
    for (std::size_t i = 0; i < unchanged.size(); ++i) {
      if (i) json += ',';
      append_json_string(json, unchanged[i]);
    }
    json += ']';
  }
  json += '}';
  return json;
}

std::string encode_change(const Batch& rows, std::size_t row) {
  std::string text = header(rows, row).dump();
  text += '\n';
  text += encode_position(rows.row(row));
  text += '\n';
  if (!rows.before(row).empty()) text += encode_position(rows.before(row));
  return text;
}

bool holds_change(std::string_view original_values) noexcept { return original_values.starts_with('{'); }

StoredChange decode_change(std::string_view text) {
  const auto first = text.find('\n');
  const auto second = first == std::string_view::npos ? first : text.find('\n', first + 1);
  if (second == std::string_view::npos) throw Error(ErrorKind::data, "the stored change is cut short");
  StoredChange change;
  try {
    auto h = nlohmann::ordered_json::parse(text.substr(0, first));
    change.op = op_named(h.at("op").get<std::string>());
    change.source = SourceTable{h.at("schema").get<std::string>(), h.at("table").get<std::string>()};
    if (h.contains("position")) {
      const auto& p = h.at("position");
      change.position = ChangePosition{p.at(0).get<std::uint64_t>(), p.at(1).get<std::uint64_t>(),
                                       p.at(2).get<std::int64_t>(), p.at(3).get<std::uint64_t>()};
    }
    change.columns = columns_of(h.at("columns"));
    for (const auto& name : h.at("unsent")) {
      const std::string n = name.get<std::string>();
      auto it = std::ranges::find_if(change.columns, [&](const Column& c) { return c.name == n; });
      if (it == change.columns.end()) throw Error(ErrorKind::data, fmt::format("unsent column `{}` is unknown", n));
      change.unsent.push_back(static_cast<std::size_t>(it - change.columns.begin()));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::data, fmt::format("the stored change's header is damaged ({})", e.what()));
  }
  change.after = decode_position(text.substr(first + 1, second - first - 1));
  if (second + 1 < text.size()) change.before = decode_position(text.substr(second + 1));
  if (change.after.size() != change.columns.size() ||
      (!change.before.empty() && change.before.size() != change.columns.size()))
    throw Error(ErrorKind::data, "the stored change's values and columns differ in number");
  return change;
}

std::optional<StoredChange> decode_older_change(std::string_view record, std::string_view original,
                                                std::string_view original_values, std::string_view position) {
  const auto r = nlohmann::ordered_json::parse(record, nullptr, false);
  if (r.is_discarded() || !r.is_object() || !r.contains("op") || !r["op"].is_string() || !r.contains("table") ||
      !r["table"].is_string())
    return std::nullopt;
  // A plain row's position is its cursor's values, never LSN:index.
  const auto at = position_named(position);
  const std::string op = r["op"].get<std::string>();
  if (!at || std::ranges::none_of(kOps, [&](ChangeOp o) { return to_string(o) == op; })) return std::nullopt;
  StoredChange change;
  change.op = op_named(op);
  const std::string table = r["table"].get<std::string>();
  const auto dot = table.find('.');
  change.source = dot == std::string::npos ? SourceTable{"", table}
                                           : SourceTable{table.substr(0, dot), table.substr(dot + 1)};
  change.position = *at;
  change.after = decode_position(original_values);
  try {
    change.columns = older_columns(original, change.after);
    if (change.op == ChangeOp::remove) change.before = change.after;  // a delete's row is its before image
    else if (r.contains("before") && r["before"].is_object())
      for (const Column& c : change.columns)
        change.before.push_back(value_of_json(r["before"].value(c.name, nlohmann::ordered_json()), c.type, c.name));
    for (const auto& name : r.value("unchanged", nlohmann::ordered_json::array())) {
      auto it = std::ranges::find(change.columns, name.get<std::string>(), &Column::name);
      if (it == change.columns.end())
        throw Error(ErrorKind::data, fmt::format("unsent column {} is unknown", name.dump()));
      change.unsent.push_back(static_cast<std::size_t>(it - change.columns.begin()));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::data, fmt::format("the letter's original record is damaged ({})", e.what()));
  }
  return change;
}

void append_stored_change(Batch& out, const StoredChange& change) {
  std::span<Value> row = out.append_change(change.op);
  std::copy(change.after.begin(), change.after.end(), row.begin());
  const std::size_t r = out.rows() - 1;
  if (!change.before.empty()) {
    std::span<Value> before = out.set_before(r);
    std::copy(change.before.begin(), change.before.end(), before.begin());
  }
  for (std::size_t c : change.unsent) out.mark_unsent(r, c);
  if (change.position) out.set_position(r, *change.position);
  out.end_transaction();
}

}  // namespace weir::pipeline
