// Named connections: the `connections:` block of a weir YAML file.
//
//   connections:
//     shop:  { url: "postgres://app@127.0.0.1:5432/shop", password: { env: SHOP_PW } }
//     crm:   { url: "mysql://reader@127.0.0.1/crm", password: { file: /run/secrets/crm } }
//     local: "sqlite:./warehouse.db"          # a bare URL is fine too
//
// Relative SQLite paths are relative to the YAML file's folder, so a config runs the same
// from any working directory.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_spec.hpp"
#include "core/yaml_document.hpp"
#include "weir/db/driver.hpp"
#include "weir/db/pool.hpp"

namespace weir::db {

using Connections = std::map<std::string, ConnectionConfig, std::less<>>;

const config::Spec& connection_spec();

// Reads and validates the `connections:` block (absent: none), resolving passwords.
// Problems are added to `diagnostics`; bad entries are left out of the result.
Connections read_connections(const config::Document& doc, config::Diagnostics& diagnostics);

// The names under `connections:`, including those whose settings are wrong.
std::vector<std::string> connection_names(const config::Document& doc);

// A connection given on the command line: a name under `connections:` of `doc` (null: no
// config file), or a URL. Only that entry is read, so a problem elsewhere in the file (an
// unset variable, another connection's secret file) cannot fail the command.
ConnectionConfig resolve_connection(std::string_view name_or_url, const config::Document* doc);

// Where commands look for the config file when --config is not given, in order: ./weir.yaml,
// then $XDG_CONFIG_HOME/weir/weir.yaml (~/.config/weir/weir.yaml when XDG_CONFIG_HOME is unset).
std::vector<std::string> default_config_files();
// The config file a command reads: `given` (--config) when not empty, whether or not it exists;
// else the first of default_config_files() that exists; nullopt when none does.
std::optional<std::string> find_config_file(std::string_view given);
// A connection given on the command line (a name or a URL), read from the config file
// find_config_file(config_file) picks, as resolve_connection() reads it. A file that cannot be
// read fails only a name: a URL needs no file. Throws Error{config}.
ConnectionConfig load_connection(std::string_view name_or_url, std::string_view config_file);

// The connection pools of one process's run: one per connection (its name and URL), shared by
// every module, state store and dead-letter table that names it, so a pool's metrics describe
// every connection the run holds there. Thread safe.
class Pools {
 public:
  explicit Pools(PoolOptions options = {}) : options_(std::move(options)) {}

  // The pool of `config`, made on first use (it connects only when leased from). Each call
  // counts one more holder that may keep a lease while the others keep theirs, and the pool
  // lets them all hold one at once: a holder never waits for another to finish.
  std::shared_ptr<Pool> claim(const ConnectionConfig& config);
  // Each pool's connection, as describe() names it, and its metrics, in the order first claimed.
  std::vector<std::pair<std::string, PoolMetrics>> metrics() const;

 private:
  struct Entry {
    std::string name;
    Url url;
    std::shared_ptr<Pool> pool;
    std::size_t holders = 0;
  };
  PoolOptions options_;
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

}  // namespace weir::db
