#include "pipeline/field_path.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "weir/error.hpp"

namespace weir::pipeline {

std::string FieldPath::to_string() const {
  std::string out = "record." + column;
  for (const std::string& k : keys) out += "." + k;
  return out;
}

bool is_field_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

std::optional<FieldPath> parse_field_path(std::string_view text, std::string& problem) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    std::string_view segment = text.substr(start, dot == std::string_view::npos ? text.npos : dot - start);
    if (segment.empty()) {
      problem = segments.empty() ? "empty field path" : "empty name after `.`";
      return std::nullopt;
    }
    for (char c : segment) {
      if (!is_field_char(c)) {
        problem = fmt::format("`{}` is not a field name (letters, digits, _ and $)", segment);
        return std::nullopt;
      }
    }
    segments.emplace_back(segment);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (segments.front() != "record") {
    problem = fmt::format("unknown root `{}`: fields are written record.<name>", segments.front());
    return std::nullopt;
  }
  if (segments.size() == 1) {
    problem = "expected a field after `record.`";
    return std::nullopt;
  }
  return FieldPath{std::move(segments[1]), std::vector<std::string>(segments.begin() + 2, segments.end())};
}

FieldReader::FieldReader(const FieldPath& path, const Schema& schema)
    : column_(schema.index_of(path.column)), keys_(path.keys) {}

const Value& FieldReader::read(std::span<const Value> row, Value& scratch) const {
  const Value& cell = row[column_];
  if (keys_.empty()) return cell;
  if (const Json* json = cell.get_if<Json>()) scratch = json_path_value(json->text, keys_);
  else if (const std::string* text = cell.get_if<std::string>()) scratch = json_path_value(*text, keys_);
  else scratch.set_null();
  return scratch;
}

namespace {

Value from_json(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::boolean: return Value(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return Value(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      auto u = j.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) return Value(static_cast<std::int64_t>(u));
      return Value(Decimal{std::to_string(u)});
    }
    case nlohmann::json::value_t::number_float: return Value(j.get<double>());
    case nlohmann::json::value_t::string: return Value(j.get<std::string>());
    case nlohmann::json::value_t::object:
    case nlohmann::json::value_t::array: return Value(Json{j.dump()});
    default: return Value();
  }
}

}  // namespace

Value json_path_value(std::string_view json, std::span<const std::string> keys) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Value();
  const nlohmann::json* at = &doc;
  for (const std::string& key : keys) {
    if (!at->is_object()) return Value();
    auto it = at->find(key);
    if (it == at->end()) return Value();
    at = &*it;
  }
  return from_json(*at);
}

}  // namespace weir::pipeline
