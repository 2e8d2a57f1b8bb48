// Loading a weir YAML file: parse, then expand ${VAR} and ${VAR:-default} in every scalar.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_spec.hpp"

namespace weir::config {

// A value whose ${VAR} could not be expanded (left as written), kept until something reads it.
struct Unresolved {
  std::string path;  // YAML path, e.g. connections.shop.url
  YAML::Node node;
  std::string message;
};

struct Document {
  std::string file;                // as given, for messages
  std::filesystem::path base_dir;  // relative paths in the file are relative to this
  YAML::Node root;
  // Unset variables are not an error of the file, only of what uses them: `weir query URL`
  // must not fail on a pipeline's ${VAR}. Readers report those under the paths they use.
  std::vector<Unresolved> unresolved;

  // `path` made absolute against base_dir (unchanged when already absolute).
  std::string resolve_path(std::string_view path) const;
  // The node at the YAML path `path` ("pipelines.p.filters[0].sql_call"), or the deepest one
  // along it that exists.
  YAML::Node node_at(std::string_view path) const;
  // `message`, which starts with a YAML path ("pipelines.p.input.sql_poll: …"), prefixed with
  // that node's file:line:col: validate, --check-sql and run point at the same place.
  std::string locate(std::string_view message) const;
  // Whether a value at or under the YAML path `path` has an unset variable.
  bool has_unresolved(std::string_view path) const;
  // Adds the problem of every unresolved value at or under `path` ("" for all) to
  // `diagnostics`; true when there was any.
  bool report_unresolved(std::string_view path, Diagnostics& diagnostics) const;
};

// Whether `name` can name an environment variable (letters, digits, '_', not starting with
// a digit). Anything else in its place is likely a pasted secret and is never echoed.
bool is_variable_name(std::string_view name);

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_env();

// Expands ${NAME} and ${NAME:-default}; "$${" stays a literal "${". Throws Error{config}
// naming the variable when it is unset and has no default (not naming what is not a valid
// variable name: that is likely a secret).
std::string interpolate(std::string_view text, const EnvLookup& env);

// Reads and parses `file`, interpolating every scalar. A syntax error is thrown as an
// Error{config} with its file:line:col; unset variables are kept in `unresolved`.
Document load_document(const std::string& file, const EnvLookup& env = process_env());
// The same for YAML text already in memory (tests, stdin).
Document parse_document(std::string_view text, const std::string& name, const EnvLookup& env = process_env());

}  // namespace weir::config
