#include "cdc/streamed_transactions.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "db/postgres/wire_buffer.hpp"
#include "weir/error.hpp"

namespace weir::cdc {
namespace {

constexpr std::size_t kSpillBuffer = 1 << 18;

[[noreturn]] void spill_failed(std::string_view what) {
  throw Error(ErrorKind::storage, fmt::format("a streamed transaction's temporary file (in {}): {}: {}",
                                              std::filesystem::temp_directory_path().string(), what,
                                              std::strerror(errno)));
}

}  // namespace

SpillFile::SpillFile() {
  std::string path = (std::filesystem::temp_directory_path() / "weir-cdc-XXXXXX").string();
  int fd = ::mkstemp(path.data());
  if (fd < 0) spill_failed("cannot be created");
  ::unlink(path.c_str());  // gone with the process, whatever happens to it
  file_.reset(::fdopen(fd, "w+b"));
  if (!file_) {
    ::close(fd);
    spill_failed("cannot be opened");
  }
  buffer_ = std::make_unique_for_overwrite<char[]>(kSpillBuffer);
  std::setvbuf(file_.get(), buffer_.get(), _IOFBF, kSpillBuffer);
}

void SpillFile::append(std::uint32_t xid, std::string_view message) {
  // Host byte order: the file is read back by this process only.
  const std::uint32_t header[2] = {xid, static_cast<std::uint32_t>(message.size())};
  if (std::fwrite(header, 1, sizeof header, file_.get()) != sizeof header ||
      std::fwrite(message.data(), 1, message.size(), file_.get()) != message.size())
    spill_failed("cannot be written");
}

void SpillFile::rewind() {
  if (std::fflush(file_.get()) != 0 || std::fseek(file_.get(), 0, SEEK_SET) != 0) spill_failed("cannot be read back");
}

bool SpillFile::read(std::uint32_t& xid, std::string& message) {
  std::uint32_t header[2];
  std::size_t got = std::fread(header, 1, sizeof header, file_.get());
  if (got == 0 && std::feof(file_.get())) return false;
  if (got != sizeof header) spill_failed("cannot be read back");
  xid = header[0];
  message.resize(header[1]);
  if (std::fread(message.data(), 1, message.size(), file_.get()) != message.size()) spill_failed("cannot be read back");
  return true;
}

StreamedTransactions::Open& StreamedTransactions::stream_of(std::uint32_t xid) {
  auto& open = open_[xid];
  if (!open) open = std::make_unique<Open>();
  return *open;
}

bool StreamedTransactions::take(const PgOutputDecoder& decoder, MessageKind kind, std::string_view bytes) {
  switch (kind) {
    case MessageKind::stream_start:
      // A first segment for a transaction already open: the server streams it again from its start.
      if (decoder.stream_start().first_segment) open_.erase(decoder.stream_start().xid);
      stream_of(decoder.stream_start().xid);
      return true;
    case MessageKind::stream_stop: return true;
    case MessageKind::stream_commit: commit(decoder.stream_commit()); return true;
    case MessageKind::stream_abort: abort(decoder.stream_abort()); return true;
    default: break;
  }
  if (decoder.streamed_xid() == 0) return false;
  Open& open = stream_of(decoder.streamed_xid());
  if (kind == MessageKind::relation) open.columns[decoder.relation().id] = decoder.relation().columns;
  if (kind == MessageKind::change && store_read(open, decoder)) return true;
  // Stored as protocol 1 sends it: the kind, then what follows the transaction id.
  std::string& stored = message_;
  stored.resize(bytes.size() - 4);
  stored[0] = bytes[0];
  std::memcpy(stored.data() + 1, bytes.data() + 5, bytes.size() - 5);
  open.spill.append(decoder.message_xid(), stored);
  return true;
}

// A change is stored with its cells read, now, while the server is busy streaming the rest.
// A cell that cannot be read is left to fail when the transaction commits, as a change sent
// whole would (an aborted transaction's never does): the message is stored as it came.
bool StreamedTransactions::store_read(Open& open, const PgOutputDecoder& decoder) {
  auto columns = open.columns.find(decoder.change().relation);
  if (columns == open.columns.end()) return false;
  message_.clear();
  try {
    encode_change(decoder.change(), columns->second, message_);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::data) throw;
    return false;
  }
  open.spill.append(decoder.message_xid(), message_);
  return true;
}

void StreamedTransactions::commit(const StreamCommitMessage& commit) {
  Replay replay{.xid = commit.xid, .commit = commit.commit, .transaction = nullptr, .begun = false};
  if (auto it = open_.find(commit.xid); it != open_.end()) {
    replay.transaction = std::move(it->second);
    open_.erase(it);
    replay.transaction->spill.rewind();
  }
  replay_.emplace(std::move(replay));
}

void StreamedTransactions::abort(const StreamAbortMessage& abort) {
  auto it = open_.find(abort.xid);
  if (it == open_.end()) return;  // nothing of it was streamed on this connection
  if (abort.subxid == abort.xid || abort.subxid == 0) open_.erase(it);
  else it->second->aborted.insert(abort.subxid);
}

// The Begin or Commit a transaction sent whole would have had, through the same decoder.
void StreamedTransactions::feed_framing(ChangeBatcher& batcher, char kind) {
  db::postgres::WireBuffer out;
  out.put_u8(static_cast<std::uint8_t>(kind));
  const CommitMessage& commit = replay_->commit;
  if (kind == 'B') {
    out.put_i64(static_cast<std::int64_t>(commit.commit_lsn));
    out.put_i64(commit.commit_time - kPostgresEpochMicros);
    out.put_i32(static_cast<std::int32_t>(replay_->xid));
  } else {
    out.put_u8(0);
    out.put_i64(static_cast<std::int64_t>(commit.commit_lsn));
    out.put_i64(static_cast<std::int64_t>(commit.end_lsn));
    out.put_i64(commit.commit_time - kPostgresEpochMicros);
  }
  batcher.feed(replayer_, replayer_.decode(out.view()));
}

void StreamedTransactions::replay_next(ChangeBatcher& batcher) {
  if (!replay_) return;
  if (!replay_->begun) {
    replay_->begun = true;
    feed_framing(batcher, 'B');
    return;
  }
  if (Open* transaction = replay_->transaction.get()) {
    std::uint32_t xid = 0;
    while (transaction->spill.read(xid, message_)) {
      const bool describes_table = message_[0] == 'R' || message_[0] == 'Y';
      if (!describes_table && transaction->aborted.contains(xid)) continue;
      if (message_[0] == kDecodedChangeKind) {
        decode_change(message_, change_);
        batcher.feed(change_);
      } else {
        batcher.feed(replayer_, replayer_.decode(message_));
      }
      return;
    }
  }
  feed_framing(batcher, 'C');
  replay_.reset();
}

void StreamedTransactions::clear() {
  open_.clear();
  replay_.reset();
  replayer_ = PgOutputDecoder();
}

}  // namespace weir::cdc
