#include "core/field_path.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <unordered_map>

#include "weir/error.hpp"

namespace weir {

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

const Value& FieldReader::read(std::span<const Value> row, std::size_t row_index, JsonCells& json,
                               Value& scratch) const {
  const Value& cell = row[column_];
  if (keys_.empty()) return cell;
  scratch = json.read(row_index, column_, cell, keys_);
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

thread_local std::uint64_t parses = 0;

const nlohmann::json* parse_cell(const Value& cell, nlohmann::json& into) {
  std::string_view text;
  if (const Json* json = cell.get_if<Json>()) text = json->text;
  else if (const std::string* s = cell.get_if<std::string>()) text = *s;
  else return nullptr;
  ++parses;
  into = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return &into;
}

}  // namespace

struct JsonCells::Documents {
  // Cell (row, column) → its document; a discarded value for text that is not JSON.
  std::unordered_map<std::uint64_t, nlohmann::json> by_cell;
};

JsonCells::JsonCells() : documents_(std::make_unique<Documents>()) {}
JsonCells::~JsonCells() = default;
JsonCells::JsonCells(JsonCells&&) noexcept = default;
JsonCells& JsonCells::operator=(JsonCells&&) noexcept = default;

void JsonCells::clear() noexcept { documents_->by_cell.clear(); }

std::uint64_t JsonCells::parses_on_this_thread() noexcept { return parses; }

Value JsonCells::read(std::size_t row, std::size_t column, const Value& cell, std::span<const std::string> keys) {
  if (cell.is_null()) return Value();
  const nlohmann::json* at = nullptr;
  nlohmann::json uncached;
  if (column < (1u << 16)) {
    auto [it, added] = documents_->by_cell.try_emplace((static_cast<std::uint64_t>(row) << 16) | column);
    at = added ? parse_cell(cell, it->second) : &it->second;
  } else {
    at = parse_cell(cell, uncached);
  }
  if (!at || at->is_discarded()) return Value();
  for (const std::string& key : keys) {
    if (!at->is_object()) return Value();
    auto it = at->find(key);
    if (it == at->end()) return Value();
    at = &*it;
  }
  return from_json(*at);
}

}  // namespace weir
