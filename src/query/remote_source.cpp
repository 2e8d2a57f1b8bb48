#include "query/remote_source.hpp"

#include <fmt/format.h>

#include "query/remote_traits.hpp"
#include "weir/log.hpp"

namespace weir::query {
namespace {

constexpr std::size_t kBatchRows = 1000;
using Clock = std::chrono::steady_clock;

std::string params_text(const std::vector<Value>& params) {
  std::string out;
  for (std::size_t i = 0; i < params.size(); ++i) out += fmt::format("{}${}={}", i ? ", " : "", i + 1, params[i].to_text());
  return out;
}

}  // namespace

bool RowStream::fetch(Batch& out) {
  if (done_ || !cursor_) return false;
  auto start = Clock::now();
  bool more = false;
  try {
    more = cursor_->next(out, kBatchRows);
  } catch (Error& e) {
    throw e.add_context(context_);
  }
  stats_->time += Clock::now() - start;
  stats_->rows += out.rows();
  if (!more) {
    done_ = true;
    cursor_.reset();
    if (running_) running_->store(false);
  }
  return more;
}

RowStream::~RowStream() {
  if (!done_ && running_) running_->store(false);
}

bool RowStream::next(Batch& out) {
  if (!buffered_.empty()) {
    out = std::move(buffered_.front());
    buffered_.pop_front();
    return true;
  }
  return fetch(out);
}

void RowStream::drain() {
  Batch batch;
  while (fetch(batch)) buffered_.push_back(std::move(batch));
}

RemoteSource::~RemoteSource() {
  cancellable_.store(nullptr);
  try {
    finish();
  } catch (const std::exception& e) {
    log::debug(fmt::format("connection `{}`: ending the snapshot failed: {}", name_, e.what()));
  }
}

db::Connection& RemoteSource::connection() {
  if (connection_) return *connection_;
  try {
    connection_ = db::connect(config_);
    cancellable_.store(connection_.get());
    for (std::string_view statement : traits_of(connection_->dialect()).snapshot_begin) connection_->execute_script(statement);
    in_snapshot_ = true;
  } catch (Error& e) {
    cancellable_.store(nullptr);
    connection_.reset();
    throw e.add_context(fmt::format("connection `{}`", name_));
  }
  return *connection_;
}

std::shared_ptr<RowStream> RemoteSource::open(const RemoteQuery& query, TableStats& stats) {
  db::Connection& c = connection();
  if (auto other = streaming_.lock(); other && !other->done()) other->drain();
  if (log_) log_->push_back({name_, query.sql, query.params});
  log::debug(fmt::format("connection `{}`: {} [{}]", name_, query.sql, params_text(query.params)));
  auto start = Clock::now();
  std::string params = query.params.empty() ? "" : fmt::format(" with {}", params_text(query.params));
  std::string context = fmt::format("connection `{}`, running {}{}", name_, query.sql, params);
  std::unique_ptr<db::Cursor> cursor;
  running_.store(true);
  try {
    cursor = c.query(query.sql, query.params);
  } catch (Error& e) {
    running_.store(false);
    throw e.add_context(context);
  }
  stats.time += Clock::now() - start;
  ++stats.queries;
  auto stream = std::make_shared<RowStream>(std::move(cursor), stats, std::move(context), &running_);
  streaming_ = stream;
  return stream;
}

void RemoteSource::cancel() noexcept {
  if (db::Connection* c = cancellable_.load()) c->cancel();
}

void RemoteSource::finish() {
  if (!connection_ || !in_snapshot_) return;
  in_snapshot_ = false;
  connection_->execute_script("ROLLBACK");
}

}  // namespace weir::query
