// ConfigSpec — a module's configuration, declared once.
//
// Validation of a YAML section, the JSON Schema printed by `weir schema` and the reference
// docs are all derived from the same declaration, so they cannot disagree. Validation
// reports every problem at once (Diagnostics), each with file, line and YAML path; unknown
// keys get a "did you mean".
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::config {

// The shapes a field accepts; a field may accept several (e.g. `columns: all` or a map).
enum Shape : unsigned {
  kString = 1,      // any scalar, read as text
  kInteger = 2,
  kBoolean = 4,
  kDuration = 8,    // "250ms", "5s", "2m", "1h"
  kStringList = 16, // a scalar or a sequence of scalars
  kStringMap = 32,  // a map of scalar to scalar
  kObject = 64,     // a map validated against `nested`
  kAnyMap = 128,    // a map of name to object validated against `nested` (e.g. connections)
  kModuleList = 512,  // a list of one-key maps `module_name: {options}` (pipeline filters)
  kObjectList = 256, // a sequence of maps, each validated against `nested` (e.g. sql_call queries)
};

struct Spec;

struct Field {
  std::string name{};
  unsigned shapes = kString;
  bool required = false;
  std::string default_value{};         // as YAML text; empty: none
  std::vector<std::string> choices{};  // allowed scalar values, when restricted
  std::string description{};
  std::string example{};               // a YAML snippet; parsed by the spec tests
  const Spec* nested = nullptr;      // for kObject / kAnyMap / kObjectList
  // kInteger: the range allowed (every integer option declares at least its minimum).
  std::optional<std::int64_t> minimum{};
  std::optional<std::int64_t> maximum{};
  // A check of a scalar's meaning (a cron expression, …), run by validate() with the others so
  // every problem shows in one pass: the problem, or empty when the value is fine.
  std::string (*check)(std::string_view value) = nullptr;
  // Another name for the field `alias_of` (a connection URL option spelled as another driver
  // spells it): read as that field, and an error when both are given.
  std::string alias_of{};
  // `choices` match without regard to case (SQLite's pragma values); the value is read as written.
  bool any_case = false;
};

struct Spec {
  std::string name;         // "sql_write"
  std::string description;  // one paragraph for the docs
  std::vector<Field> fields;
  // A check between options that no one field can make ("ssl_mode=verify-ca needs ssl_ca"),
  // given each option's value as written (empty when absent, aliases resolved): the problem,
  // or empty. Run with the fields' checks, so `weir validate` finds it without connecting.
  std::string (*cross_check)(const std::function<std::string(std::string_view)>& option) = nullptr;

  const Field* find(std::string_view field) const noexcept;
};

// Where a node sits: file and 1-based line and column.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string to_string() const;
};
Location location_of(const YAML::Node& node, const std::string& file);

// The code of an Error{config} whose cause is already among the diagnostics (a reference
// to a connection that failed to read): one cause, one line, so it is not added again.
inline constexpr std::string_view kReportedElsewhere = "weir.reported-elsewhere";

// Collects every problem found, then throws them all as one Error{config}.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  // Problems at a settled path are dropped: they follow from the one already reported there.
  void add(const YAML::Node& at, std::string_view path, std::string_view message);
  void add(std::string_view path, std::string_view message);
  // Marks `path` as reported: a value that could not be read makes no further complaints.
  void settle(std::string_view path) { settled_.emplace_back(path); }
  bool empty() const noexcept { return messages_.empty(); }
  const std::vector<std::string>& messages() const noexcept { return messages_; }
  const std::string& file() const noexcept { return file_; }
  // Throws Error{config} with one line per problem when there are any.
  void throw_if_any() const;

 private:
  bool is_settled(std::string_view path) const;
  std::string file_;
  std::vector<std::string> messages_;
  std::vector<std::string> settled_;
};

// What is wrong with `value` written as a scalar for `field` (its shape, choices with a "did you
// mean", range and check); empty when it fits. YAML options and connection URL options share it.
std::string scalar_problem(std::string_view value, const Field& field);
// "unknown option `x` for <spec> (did you mean `y`?)"
std::string unknown_option(std::string_view key, const Spec& spec);

// Checks `node` against `spec`: required fields, unknown keys, shapes, choices.
void validate(const YAML::Node& node, const Spec& spec, const std::string& path, Diagnostics& diagnostics);

// Parses "250ms", "5s", "2m", "1h", "1d"; nullopt if malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Typed reads of a validated section; absent fields fall back to the spec's default.
class Section {
 public:
  Section(YAML::Node node, const Spec& spec, std::string path)
      : node_(std::move(node)), spec_(&spec), path_(std::move(path)) {}

  bool has(std::string_view field) const;
  // Written but null (`field: null`, `field: ~`, `field:`), which has() counts as absent:
  // for options where `null` is a value (sql_call's `on_error: null`).
  bool written_null(std::string_view field) const;
  std::string string(std::string_view field) const;
  std::int64_t integer(std::string_view field) const;
  bool boolean(std::string_view field) const;
  std::chrono::milliseconds duration(std::string_view field) const;
  std::vector<std::string> string_list(std::string_view field) const;
  // Ordered as written in the file.
  std::vector<std::pair<std::string, std::string>> string_map(std::string_view field) const;
  YAML::Node node(std::string_view field) const;
  // The items of a kObjectList field, each read against the field's nested spec, with
  // paths like `queries[0]`; empty when absent.
  std::vector<Section> object_list(std::string_view field) const;
  const std::string& path() const noexcept { return path_; }
  std::string path_of(std::string_view field) const { return path_ + "." + std::string(field); }

 private:
  YAML::Node value_or_default(std::string_view field) const;
  YAML::Node node_;
  const Spec* spec_;
  std::string path_;
};

}  // namespace weir::config
