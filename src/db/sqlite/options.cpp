#include "db/sqlite/options.hpp"

#include <sqlite3.h>

#include <limits>

#include "core/text.hpp"
#include "db/url_options.hpp"

namespace weir::db::sqlite {

using config::Field;

const config::Spec& url_options_spec() {
  // SQLite's own cache and mmap defaults: measured on a 1M-row copy, a 64 MiB cache made bulk
  // writes 25 % slower (every cached page is a fresh allocation) and memory-mapped reads gained
  // nothing.
  static const config::Spec spec{
      "sqlite URLs",
      "Options of a `sqlite:` (or `sqlite3:`) URL, after `?`, e.g. `sqlite:data/shop.db?mode=ro`. The pragma "
      "values match without regard to case.",
      {
          Field{.name = "mode", .default_value = "rwc", .choices = {"rwc", "rw", "ro"},
                .description = "`rwc` opens the file read-write and creates it when absent, `rw` only opens an "
                               "existing file, `ro` opens it read-only.",
                .example = "ro"},
          Field{.name = "busy_timeout", .shapes = config::kInteger, .default_value = "5000",
                .description = "Milliseconds to wait for another connection's lock before failing.",
                .example = "10000", .minimum = 0, .maximum = std::numeric_limits<int>::max()},
          Field{.name = "journal_mode", .default_value = "wal",
                .choices = {"wal", "delete", "truncate", "persist", "memory", "off"},
                .description = "PRAGMA journal_mode, set on every file opened for writing (not for `:memory:`).",
                .example = "delete", .any_case = true},
          Field{.name = "synchronous", .default_value = "full", .choices = {"off", "normal", "full", "extra"},
                .description = "PRAGMA synchronous: how hard SQLite makes sure a commit reached the disk. "
                               "Left unset, in WAL mode `sql_write` commits its batches with `normal` "
                               "while rows stream in, and makes them durable before anything outside "
                               "the file is told of them (a checkpoint kept elsewhere, a source that "
                               "forgets acknowledged rows), when it goes idle and when the run ends: a "
                               "power loss may undo the last batches, each with its checkpoint.",
                .example = "normal", .any_case = true},
          Field{.name = "foreign_keys", .default_value = "on", .choices = {"on", "off"},
                .description = "PRAGMA foreign_keys: whether foreign keys are enforced.", .example = "off",
                .any_case = true},
          Field{.name = "cache_size", .shapes = config::kInteger, .default_value = "2000",
                .description = "Page cache per connection, in KiB (PRAGMA cache_size).", .example = "65536",
                .minimum = 0},
          Field{.name = "mmap_size", .shapes = config::kInteger, .default_value = "0",
                .description = "Bytes of the file read through memory mapping (PRAGMA mmap_size); 0: none.",
                .example = "268435456", .minimum = 0},
      }};
  return spec;
}

Options read_options(const ConnectionConfig& config) {
  config::Section options = read_url_options(config, url_options_spec());
  Options o;
  std::string mode = options.string("mode");
  o.open_flags = mode == "ro"   ? SQLITE_OPEN_READONLY
                 : mode == "rw" ? SQLITE_OPEN_READWRITE
                                : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (config.read_only) o.open_flags = SQLITE_OPEN_READONLY;
  o.busy_timeout_ms = static_cast<int>(options.integer("busy_timeout"));
  o.journal_mode = to_lower(options.string("journal_mode"));
  o.synchronous = to_lower(options.string("synchronous"));
  o.synchronous_given = options.has("synchronous");
  o.foreign_keys = to_lower(options.string("foreign_keys"));
  o.cache_size_kib = options.integer("cache_size");
  o.mmap_size = options.integer("mmap_size");
  return o;
}

}  // namespace weir::db::sqlite
