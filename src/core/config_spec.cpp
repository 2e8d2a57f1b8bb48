#include "core/config_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "core/text.hpp"
#include "weir/error.hpp"

namespace weir::config {

const Field* Spec::find(std::string_view field) const noexcept {
  for (const Field& f : fields)
    if (f.name == field) return &f;
  return nullptr;
}

std::string Location::to_string() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

Location location_of(const YAML::Node& node, const std::string& file) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

bool Diagnostics::is_settled(std::string_view path) const {
  return std::find(settled_.begin(), settled_.end(), path) != settled_.end();
}

void Diagnostics::add(const YAML::Node& at, std::string_view path, std::string_view message) {
  if (is_settled(path)) return;
  messages_.push_back(fmt::format("{}: {}: {}", location_of(at, file_).to_string(), path, message));
}

void Diagnostics::add(std::string_view path, std::string_view message) {
  if (is_settled(path)) return;
  messages_.push_back(fmt::format("{}: {}: {}", file_, path, message));
}

void Diagnostics::throw_if_any() const {
  if (messages_.empty()) return;
  std::string all;
  for (const std::string& m : messages_) {
    if (!all.empty()) all += '\n';
    all += m;
  }
  throw Error(ErrorKind::config, all);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = trim(text);
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || number < 0) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  std::int64_t factor = 0;
  if (unit == "ms") factor = 1;
  else if (unit == "s") factor = 1000;
  else if (unit == "m") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  if (factor == 0 || number > std::numeric_limits<std::int64_t>::max() / factor) return std::nullopt;
  return std::chrono::milliseconds(number * factor);
}

namespace {

bool is_integer(const std::string& s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && end == s.data() + s.size();
}

bool is_boolean(const std::string& s) { return s == "true" || s == "false"; }

std::string describe_shapes(unsigned shapes) {
  std::vector<std::string> names;
  if (shapes & kString) names.push_back("a string");
  if (shapes & kInteger) names.push_back("an integer");
  if (shapes & kBoolean) names.push_back("true or false");
  if (shapes & kDuration) names.push_back("a duration like 5s");
  if (shapes & kStringList) names.push_back("a list of strings");
  if (shapes & kStringMap) names.push_back("a map of names to strings");
  if (shapes & (kObject | kAnyMap)) names.push_back("a map");
  if (shapes & kModuleList) names.push_back("a list of modules");
  if (shapes & kObjectList) names.push_back("a list of maps");
  return fmt::format("{}", fmt::join(names, " or "));
}

bool scalar_fits(const std::string& s, const Field& field) {
  if (!field.choices.empty()) {
    for (const std::string& c : field.choices)
      if (s == c || (field.any_case && iequals(s, c))) return true;
    return false;
  }
  if (field.shapes & (kString | kStringList)) return true;
  if ((field.shapes & kInteger) && is_integer(s)) return true;
  if ((field.shapes & kBoolean) && is_boolean(s)) return true;
  if ((field.shapes & kDuration) && parse_duration(s)) return true;
  return false;
}

bool all_scalars(const YAML::Node& node) {
  for (const auto& item : node) {
    const YAML::Node& v = node.IsMap() ? item.second : item;
    if (!v.IsScalar()) return false;
  }
  return true;
}

// The problem with a scalar that has the right shape but a value out of range or meaningless.
std::string value_problem(const std::string& s, const Field& field) {
  if ((field.shapes & kInteger) && is_integer(s)) {
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    if (field.minimum && v < *field.minimum)
      return fmt::format("must be at least {}{} (got {})", *field.minimum,
                         field.maximum ? fmt::format(" and at most {}", *field.maximum) : "", v);
    if (field.maximum && v > *field.maximum)
      return fmt::format("must be at most {} (got {})", *field.maximum, v);
  }
  if (field.check) return field.check(s);
  return {};
}

void validate_field(const YAML::Node& value, const Field& field, const std::string& path, Diagnostics& d) {
  if (value.IsNull()) {
    if (field.required) d.add(value, path, "must not be empty");
    return;
  }
  if (value.IsScalar()) {
    if (std::string problem = scalar_problem(value.Scalar(), field); !problem.empty()) d.add(value, path, problem);
    return;
  }
  if (value.IsSequence() && (field.shapes & kStringList) && all_scalars(value)) return;
  if (value.IsMap() && (field.shapes & kStringMap) && all_scalars(value)) return;
  if (value.IsMap() && (field.shapes & kObject) && field.nested) {
    validate(value, *field.nested, path, d);
    return;
  }
  if (value.IsSequence() && (field.shapes & kObjectList) && field.nested) {
    for (std::size_t i = 0; i < value.size(); ++i) validate(value[i], *field.nested, fmt::format("{}[{}]", path, i), d);
    return;
  }
  if (value.IsMap() && (field.shapes & kAnyMap) && field.nested) {
    for (const auto& entry : value) {
      // With kStringMap too, an entry may be a scalar (sql_apply: `tables: { a: b, c: { … } }`).
      if ((field.shapes & kStringMap) && entry.second.IsScalar()) continue;
      validate(entry.second, *field.nested, path + "." + entry.first.Scalar(), d);
    }
    return;
  }
  d.add(value, path, fmt::format("expected {}", describe_shapes(field.shapes)));
}

}  // namespace

std::string scalar_problem(std::string_view value, const Field& field) {
  std::string s(value);
  if (scalar_fits(s, field)) return value_problem(s, field);
  if (!field.choices.empty())
    return fmt::format("`{}` is not one of: {}{}", s, fmt::join(field.choices, ", "),
                       did_you_mean(s, std::vector<std::string_view>(field.choices.begin(), field.choices.end())));
  return fmt::format("`{}` is not {}", s, describe_shapes(field.shapes));
}

std::string unknown_option(std::string_view key, const Spec& spec) {
  std::vector<std::string_view> known;
  for (const Field& f : spec.fields) known.push_back(f.name);
  return fmt::format("unknown option `{}` for {}{}", key, spec.name, did_you_mean(key, known));
}

void validate(const YAML::Node& node, const Spec& spec, const std::string& path, Diagnostics& d) {
  if (!node.IsMap()) {
    d.add(node, path, fmt::format("expected a map of {} options", spec.name));
    return;
  }
  for (const auto& entry : node) {
    const std::string& key = entry.first.Scalar();
    const Field* field = spec.find(key);
    if (!field) {
      d.add(entry.first, path + "." + key, unknown_option(key, spec));
      continue;
    }
    validate_field(entry.second, *field, path + "." + key, d);
  }
  for (const Field& f : spec.fields)
    if (f.required && !node[f.name]) d.add(node, path, fmt::format("missing required option `{}`", f.name));
}

YAML::Node Section::value_or_default(std::string_view field) const {
  std::string key(field);
  if (YAML::Node v = node_[key]; v && !v.IsNull()) return v;
  const Field* f = spec_->find(field);
  if (!f) throw Error(ErrorKind::internal, fmt::format("{} reads undeclared option `{}`", spec_->name, field));
  if (f->default_value.empty()) return YAML::Node();
  return YAML::Load(f->default_value);
}

bool Section::has(std::string_view field) const {
  YAML::Node v = node_[std::string(field)];
  return v && !v.IsNull();
}

bool Section::written_null(std::string_view field) const {
  YAML::Node v = node_[std::string(field)];
  return v && v.IsNull();
}

YAML::Node Section::node(std::string_view field) const { return value_or_default(field); }

std::vector<Section> Section::object_list(std::string_view field) const {
  YAML::Node v = value_or_default(field);
  const Field* f = spec_->find(field);
  std::vector<Section> out;
  if (!v.IsSequence() || !f->nested) return out;
  for (std::size_t i = 0; i < v.size(); ++i) out.emplace_back(v[i], *f->nested, fmt::format("{}[{}]", path_of(field), i));
  return out;
}

std::string Section::string(std::string_view field) const {
  YAML::Node v = value_or_default(field);
  return v.IsScalar() ? v.Scalar() : std::string();
}

std::int64_t Section::integer(std::string_view field) const {
  std::string s = string(field);
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool Section::boolean(std::string_view field) const { return string(field) == "true"; }

std::chrono::milliseconds Section::duration(std::string_view field) const {
  return parse_duration(string(field)).value_or(std::chrono::milliseconds(0));
}

std::vector<std::string> Section::string_list(std::string_view field) const {
  YAML::Node v = value_or_default(field);
  std::vector<std::string> out;
  if (v.IsScalar()) out.push_back(v.Scalar());
  else if (v.IsSequence())
    for (const auto& item : v) out.push_back(item.Scalar());
  return out;
}

std::vector<std::pair<std::string, std::string>> Section::string_map(std::string_view field) const {
  YAML::Node v = value_or_default(field);
  std::vector<std::pair<std::string, std::string>> out;
  if (v.IsMap())
    for (const auto& entry : v) out.emplace_back(entry.first.Scalar(), entry.second.Scalar());
  return out;
}

}  // namespace weir::config
