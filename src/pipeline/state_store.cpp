#include "pipeline/state_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>

#include "db/common/sql_writer.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"
#include "weir/temporal.hpp"

namespace weir::pipeline {
namespace {

constexpr std::string_view kFingerprintColumn = "fingerprint";

db::WriteSpec upsert_spec() {
  db::WriteSpec spec;
  spec.table = db::TableRef{"", std::string(StateStore::kTable)};
  spec.columns = {"pipeline", "position", "updated_at", std::string(kFingerprintColumn)};
  spec.mode = db::WriteMode::upsert;
  spec.key = {"pipeline"};
  return spec;
}

void append_parts(std::string& out, std::string_view side, const Identity& identity) {
  for (const auto& [part, value] : identity)
    out += fmt::format("{}{}.{}={}", out.empty() ? "" : ";", side, part, hash_text(value));
}

// part → hash of one fingerprint.
std::vector<std::pair<std::string_view, std::string_view>> split_parts(std::string_view fingerprint) {
  std::vector<std::pair<std::string_view, std::string_view>> parts;
  while (!fingerprint.empty()) {
    std::string_view part = fingerprint.substr(0, fingerprint.find(';'));
    fingerprint.remove_prefix(std::min(fingerprint.size(), part.size() + 1));
    auto eq = part.find('=');
    parts.emplace_back(part.substr(0, eq), eq == std::string_view::npos ? "" : part.substr(eq + 1));
  }
  return parts;
}

struct Stored {
  std::string position;
  std::optional<std::string> fingerprint;  // none: stored by a weir version before fingerprints
  std::string saved_at;
};

std::optional<Stored> read_row(db::Connection& c, std::string_view key) {
  const db::Dialect& d = c.dialect();
  std::array<Value, 1> params{Value(key)};
  auto cursor = c.query(fmt::format("SELECT {}, {}, {} FROM {} WHERE {} = {}", d.quote_identifier("position"),
                                    d.quote_identifier(kFingerprintColumn), d.quote_identifier("updated_at"),
                                    d.quote_identifier(StateStore::kTable),
                                    d.quote_identifier("pipeline"), d.placeholder(1)),
                        params);
  Batch rows;
  std::optional<Stored> found;
  while (cursor->next(rows, 16)) {
    if (rows.empty() || rows.at(0, 0).is_null()) continue;
    found = Stored{rows.at(0, 0).to_text(), std::nullopt, rows.at(0, 2).to_text()};
    if (!rows.at(0, 1).is_null()) found->fingerprint = rows.at(0, 1).to_text();
  }
  return found;
}

bool has_fingerprint_column(db::Connection& connection) {
  auto table = connection.describe_table(db::TableRef{"", std::string(StateStore::kTable)});
  if (!table) return false;
  for (const Column& c : table->columns)
    if (c.name == kFingerprintColumn) return true;
  return false;
}

}  // namespace

// FNV-1a: stable across builds and platforms, unlike std::hash, as a stored value must be.
std::string hash_text(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

StateOwner StateOwner::of(const std::string& file, const std::string& pipeline, const Identity& input,
                          const Identity& output) {
  StateOwner owner{pipeline, std::filesystem::path(file).filename().string() + "#" + pipeline, {}};
  append_parts(owner.fingerprint, "input", input);
  append_parts(owner.fingerprint, "output", output);
  return owner;
}

std::string changed_parts(std::string_view stored, std::string_view current) {
  auto before = split_parts(stored);
  std::string changed;
  for (const auto& [part, hash] : split_parts(current)) {
    bool same = false;
    for (const auto& [old_part, old_hash] : before) same = same || (old_part == part && old_hash == hash);
    if (!same) changed += fmt::format("{}{}", changed.empty() ? "" : ", ", part);
  }
  if (changed.empty() && stored != current) changed = "the pipeline's parts";
  return changed;
}

void StateStore::ensure_table(db::Connection& connection) {
  const db::Dialect& d = connection.dialect();
  // VARCHAR for the key: MySQL cannot index TEXT without a prefix length.
  db::create_if_missing(connection, fmt::format("CREATE TABLE IF NOT EXISTS {} ({} VARCHAR(255) NOT NULL PRIMARY KEY, "
                                 "{} TEXT NOT NULL, {} VARCHAR(40) NOT NULL, {} TEXT)",
                                 d.quote_identifier(kTable), d.quote_identifier("pipeline"),
                                 d.quote_identifier("position"), d.quote_identifier("updated_at"),
                                 d.quote_identifier(kFingerprintColumn)));
  if (has_fingerprint_column(connection)) return;
  // A table an earlier weir version made: its rows stay valid, with no fingerprint.
  try {
    connection.execute(fmt::format("ALTER TABLE {} ADD COLUMN {} TEXT", d.quote_identifier(kTable),
                                   d.quote_identifier(kFingerprintColumn)));
  } catch (const Error&) {
    if (!has_fingerprint_column(connection)) throw;  // else another pipeline added it meanwhile
  }
}

StateStore::StateStore(db::ConnectionConfig config, std::shared_ptr<db::Pool> pool, RetryPolicy retry)
    : config_(std::move(config)), pool_(pool ? std::move(pool) : db::Pool::create(config_)), retry_(retry) {}

template <class F>
auto StateStore::with_store(std::string_view what, const std::stop_token& stop, F&& work) {
  if (!table_ready_ && config_.url.file_path && config_.url.database != ":memory:") {
    // The default store is a file in .weir/ next to the project: make the folder on first use.
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(config_.url.database).parent_path(), ignored);
  }
  return db::with_connection(
      *pool_, retry_,
      [&](db::Connection& c) {
        if (!table_ready_) {
          ensure_table(c);
          table_ready_ = true;
        }
        return work(c);
      },
      db::Idempotent::yes, logged_retries(fmt::format("state store: {}", what), config_.describe(), retry_, stop));
}

std::optional<std::string> StateStore::load(const StateOwner& owner, std::stop_token stop) {
  std::lock_guard lock(mutex_);
  try {
    return with_store("loading the checkpoint", stop, [&](db::Connection& c) { return load_with(c, owner); });
  } catch (Error& e) {
    if (e.kind() == ErrorKind::config) throw;  // a checkpoint of other parts: its message names the store
    throw e.add_context(fmt::format("loading the checkpoint from the state store {}", config_.describe()));
  }
}

std::optional<std::string> StateStore::load_with(db::Connection& c, const StateOwner& owner) const {
  std::optional<Stored> stored = read_row(c, owner.key);
  if (!stored && (stored = read_row(c, owner.pipeline))) {
    // Stored by an earlier weir version: this pipeline takes it over, and no other file's
    // pipeline of the same name can take it too.
    const db::Dialect& d = c.dialect();
    std::array<Value, 3> params{Value(owner.key), Value(owner.fingerprint), Value(owner.pipeline)};
    c.execute(fmt::format("UPDATE {} SET {} = {}, {} = {} WHERE {} = {}", d.quote_identifier(kTable),
                          d.quote_identifier("pipeline"), d.placeholder(1), d.quote_identifier(kFingerprintColumn),
                          d.placeholder(2), d.quote_identifier("pipeline"), d.placeholder(3)),
              params);
    log::info(fmt::format("pipeline {}: adopted the checkpoint an earlier weir version saved in {} as `{}`",
                          owner.pipeline, config_.describe(), owner.key));
    return stored->position;
  }
  if (!stored) return std::nullopt;
  if (stored->fingerprint && *stored->fingerprint != owner.fingerprint)
    throw Error(ErrorKind::config,
                fmt::format("the checkpoint in {} was made with another {} (changed since it was saved); run with "
                            "--reset to start from the beginning, or undo the change",
                            config_.describe(), changed_parts(*stored->fingerprint, owner.fingerprint)));
  return stored->position;
}

void StateStore::save_with(db::Connection& connection, const StateOwner& owner, std::string_view checkpoint) {
  static const db::WriteSpec spec = upsert_spec();
  std::array<Value, 4> params{Value(owner.key), Value(checkpoint), Value(format_timestamptz(timestamptz_now())),
                              Value(owner.fingerprint)};
  auto statement = db::write_statement(connection.dialect(), spec);
  std::vector<Value> bound;
  for (std::size_t column : statement.param_columns) bound.push_back(params[column]);
  connection.execute(statement.sql, bound);
}

std::optional<std::string> StateStore::committed_position(db::Connection& connection, const StateOwner& owner) {
  {
    db::Transaction wait_for_writers(connection);  // rolled back: it only waits on the row's lock
    save_with(connection, owner, "");
  }
  std::optional<Stored> stored = read_row(connection, owner.key);
  if (!stored) return std::nullopt;
  return stored->position;
}

void StateStore::save(const StateOwner& owner, std::string_view checkpoint, std::stop_token stop) {
  std::lock_guard lock(mutex_);
  with_store("saving the checkpoint", stop, [&](db::Connection& c) {
    db::Transaction tx(c);
    save_with(c, owner, checkpoint);
    tx.commit();
  });
}

void StateStore::check_writable(const StateOwner& owner, std::stop_token stop) {
  try {
    std::lock_guard lock(mutex_);
    with_store("checking it can be written", stop, [&](db::Connection& c) {
      db::Transaction tx(c);  // rolled back: only whether the write can happen counts
      save_with(c, owner, "");
    });
  } catch (Error& e) {
    throw e.add_context(fmt::format("the state store {} cannot be written, so no checkpoint could follow the "
                                    "rows; nothing was written",
                                    config_.describe()));
  }
}

std::optional<StateStore::Saved> StateStore::saved(const StateOwner& owner) {
  if (config_.url.file_path && !std::filesystem::exists(config_.url.database)) return std::nullopt;
  std::lock_guard lock(mutex_);
  return db::with_connection(
      *pool_, retry_,
      [&](db::Connection& c) -> std::optional<Saved> {
        if (!c.describe_table(db::TableRef{"", std::string(kTable)})) return std::nullopt;
        std::optional<Stored> stored = read_row(c, owner.key);
        if (!stored) stored = read_row(c, owner.pipeline);
        if (!stored) return std::nullopt;
        return Saved{stored->position, stored->saved_at};
      },
      db::Idempotent::yes, logged_retries("state store: reading the checkpoint", config_.describe(), retry_, {}));
}

void StateStore::run(std::string_view what, const std::function<void(db::Connection&)>& work, std::stop_token stop) {
  std::lock_guard lock(mutex_);
  try {
    with_store(what, stop, work);
  } catch (Error& e) {
    throw e.add_context(fmt::format("{} in the state store {}", what, config_.describe()));
  }
}

void StateStore::reset(const StateOwner& owner) {
  std::lock_guard lock(mutex_);
  with_store("forgetting the checkpoint", {}, [&](db::Connection& c) {
    const db::Dialect& d = c.dialect();
    std::array<Value, 2> params{Value(owner.key), Value(owner.pipeline)};
    c.execute(fmt::format("DELETE FROM {} WHERE {} IN ({}, {})", d.quote_identifier(kTable),
                          d.quote_identifier("pipeline"), d.placeholder(1), d.placeholder(2)),
              params);
  });
}

}  // namespace weir::pipeline
