// Transactions PostgreSQL streams while they are still in progress (pgoutput protocol 2 with
// `streaming 'on'`): past logical_decoding_work_mem the server sends a large transaction in
// chunks (Stream Start … Stream Stop), chunks of several transactions interleaved, and ends
// each with a Stream Commit or a Stream Abort — of the whole transaction or of one
// subtransaction (ROLLBACK TO SAVEPOINT).
//
// Nothing of a streamed transaction may reach the output before its commit, and it may be
// larger than memory: each one's messages go to its own temporary file (an unlinked file in
// the temporary directory, TMPDIR) as they come. At Stream Commit the file is read back and
// handed to the ChangeBatcher message by message, framed by the Begin and Commit a transaction
// sent whole would have had, so the batcher cuts, positions and filters it exactly as one: the
// changes reach the output at their commit, in commit order, as whole transactions, a batch at
// a time. An aborted subtransaction's changes are skipped on the way (its Relation and Type
// messages are kept: they describe a table, not a change); an aborted transaction's file is
// dropped unread.
//
// The changes are stored with their cells read already (decoded_change.hpp): that work is done
// while the server streams, not after the commit, where the replay would wait for it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cdc/change_batcher.hpp"
#include "cdc/decoded_change.hpp"
#include "cdc/pgoutput_decoder.hpp"

namespace weir::cdc {

// The messages of one streamed transaction, each with the (sub)transaction id it carried.
class SpillFile {
 public:
  SpillFile();  // Error{storage} when no temporary file can be made
  // `message` is the streamed message without its transaction id: a message as protocol 1
  // sends it.
  void append(std::uint32_t xid, std::string_view message);
  // Reads from the first message again.
  void rewind();
  // The next message and its transaction id; false after the last.
  bool read(std::uint32_t& xid, std::string& message);

 private:
  struct Closer {
    void operator()(std::FILE* file) const noexcept { std::fclose(file); }
  };
  // stdio's buffer, ours: glibc's setvbuf() keeps its own 4 kB one when given no buffer, whatever
  // the size asked. Declared first, it outlives the file that uses it until closed.
  std::unique_ptr<char[]> buffer_;
  std::unique_ptr<std::FILE, Closer> file_;
};

class StreamedTransactions {
 public:
  // Takes the message `decoder` decoded last from `bytes` when it belongs to a streamed
  // transaction (Stream Start / Stop / Commit / Abort, or any message inside a streamed block);
  // false for the others, which are the batcher's. A Stream Commit starts the replay.
  bool take(const PgOutputDecoder& decoder, MessageKind kind, std::string_view bytes);

  // A committed streamed transaction is being handed to the batcher: call replay_next() until
  // this is false before taking the stream's next message.
  bool replaying() const noexcept { return replay_.has_value(); }
  // Feeds the next message of the committed transaction into `batcher`: its Begin first, then
  // its changes but those of aborted subtransactions, its Commit last.
  void replay_next(ChangeBatcher& batcher);

  // Whether a streamed transaction has begun and not ended (its changes wait for its commit).
  bool open() const noexcept { return !open_.empty() || replay_.has_value(); }
  // The stream broke: what was not committed is dropped (the server streams it again).
  void clear();

 private:
  struct Open {
    SpillFile spill;
    std::set<std::uint32_t> aborted;  // subtransactions rolled back
    // By relation id, the columns its last Relation message in this transaction named: what
    // its changes' cells are read as (pgoutput describes each table again in each streamed
    // transaction, before its first change there).
    std::unordered_map<std::uint32_t, std::vector<RelationColumn>> columns;
  };
  struct Replay {
    std::uint32_t xid = 0;
    CommitMessage commit;
    std::unique_ptr<Open> transaction;  // null when the transaction streamed nothing
    bool begun = false;
  };
  Open& stream_of(std::uint32_t xid);
  bool store_read(Open& open, const PgOutputDecoder& decoder);
  void commit(const StreamCommitMessage& commit);
  void abort(const StreamAbortMessage& abort);
  void feed_framing(ChangeBatcher& batcher, char kind);

  std::map<std::uint32_t, std::unique_ptr<Open>> open_;
  std::optional<Replay> replay_;
  PgOutputDecoder replayer_;  // decodes what was stored, outside any stream
  std::string message_;       // the message being stored or replayed, its buffer reused
  DecodedChange change_;      // the change being replayed, its Values reused
};

}  // namespace weir::cdc
