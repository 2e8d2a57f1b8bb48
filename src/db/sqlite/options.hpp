// The options of a sqlite: URL, declared once (see db/url_options.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "core/config_spec.hpp"
#include "weir/db/driver.hpp"

namespace weir::db::sqlite {

const config::Spec& url_options_spec();

// What a URL asks of a connection.
struct Options {
  int open_flags = 0;
  int busy_timeout_ms = 5000;
  std::string journal_mode;  // lower case, as PRAGMA journal_mode reports it
  std::string synchronous;
  bool synchronous_given = false;  // the URL sets it: every commit syncs as it says
  std::string foreign_keys;
  std::int64_t cache_size_kib = 0;
  std::int64_t mmap_size = 0;
};

// Throws Error{config} naming the connection when an option is unknown or its value is wrong.
Options read_options(const ConnectionConfig& config);

}  // namespace weir::db::sqlite
