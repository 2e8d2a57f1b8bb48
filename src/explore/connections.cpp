#include "explore/connections.hpp"

#include <fmt/format.h>

#include <chrono>
#include <future>

#include "db/connections.hpp"
#include "weir/db/catalog.hpp"
#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir::explore {
namespace {

double millis_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return redact(text);
}

}  // namespace

std::string location_of(const Url& url) {
  if (url.file_path) return url.database;
  std::string out = url.user.empty() ? "" : url.user + "@";
  out += url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port) out += fmt::format(":{}", url.port);
  return out + "/" + url.database;
}

ConnectionStatus check_connection(const db::ConnectionConfig& config) {
  ConnectionStatus status;
  status.name = config.name;
  status.type = config.url.scheme;
  status.url = config.url.to_string();
  status.location = location_of(config.url);
  status.read_only = config.read_only;
  try {
    const db::Driver& driver = db::Registry::builtin().for_scheme(config.url.scheme);
    auto connection = driver.connect(config);
    auto start = std::chrono::steady_clock::now();
    connection->ping();
    status.round_trip_ms = millis_since(start);
    status.server_version = driver.catalog().server_version(*connection);
    status.table_count = static_cast<std::int64_t>(driver.catalog().tables(*connection, {}).size());
    status.ok = true;
  } catch (const std::exception& e) {
    status.error = one_line(e.what());
  }
  return status;
}

std::vector<ConnectionStatus> check_connections(const config::Document& doc) {
  // The entries are read one after the other (YAML nodes are not safe to share between
  // threads); only the databases are asked at once.
  std::vector<std::future<ConnectionStatus>> checks;
  for (const std::string& name : db::connection_names(doc)) {
    try {
      checks.push_back(std::async(std::launch::async, check_connection, db::resolve_connection(name, &doc)));
    } catch (const Error& e) {
      ConnectionStatus status;
      status.name = name;
      status.error = one_line(e.what());
      std::promise<ConnectionStatus> ready;
      ready.set_value(std::move(status));
      checks.push_back(ready.get_future());
    }
  }
  std::vector<ConnectionStatus> out;
  for (auto& check : checks) out.push_back(check.get());
  return out;
}

}  // namespace weir::explore
