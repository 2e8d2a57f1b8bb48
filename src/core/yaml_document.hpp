// Loading a weir YAML file: parse, then expand ${VAR} and ${VAR:-default} in every scalar.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/config_spec.hpp"

namespace weir::config {

struct Document {
  std::string file;                // as given, for messages
  std::filesystem::path base_dir;  // relative paths in the file are relative to this
  YAML::Node root;

  // `path` made absolute against base_dir (unchanged when already absolute).
  std::string resolve_path(std::string_view path) const;
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_env();

// Expands ${NAME} and ${NAME:-default}; "$${" stays a literal "${". Throws Error{config}
// naming the variable when it is unset and has no default.
std::string interpolate(std::string_view text, const EnvLookup& env);

// Reads and parses `file`, interpolating every scalar. Problems (syntax, unset variables)
// are thrown as one Error{config} listing each with its line.
Document load_document(const std::string& file, const EnvLookup& env = process_env());
// The same for YAML text already in memory (tests, stdin).
Document parse_document(std::string_view text, const std::string& name, const EnvLookup& env = process_env());

}  // namespace weir::config
