// LOAD DATA LOCAL INFILE fed from memory: the MySQL/MariaDB bulk insert path.
//
// What it implements. `LOAD DATA LOCAL INFILE 'name' INTO TABLE …` makes the server ask the
// client for the file `name`; Connector/C then calls four local-infile callbacks (init, read,
// end, error) and streams what read() returns. weir installs its own callbacks on every
// connection (install_local_infile): they serve only the InfileSource that the bulk writer
// armed for the statement it is running, and refuse every other request, so a server can
// never make weir read a file from disk.
//
// How to use it. Encode rows with append_load_data_value (BatchInfile does it for a range of
// a batch, lazily, as Connector/C asks for 4 KiB chunks), and run the statement with
// MyConnection::load_data(). With LOCAL the server treats every per-row problem — duplicate
// key, a value the column cannot take, NULL for NOT NULL — as a warning and skips or coerces
// the row (it cannot stop the client mid-file), so the caller checks first_load_warning()
// afterwards and undoes the statement itself (see MyBulkWriter).
//
// The format is LOAD DATA's default text format, spelled out in load_data_sql() with hex
// literals so that sql_mode (NO_BACKSLASH_ESCAPES) cannot change it:
//
//   fields end with  \t         rows end with  \n         NULL is  \N
//   escapes          \\ → \     \t → tab      \n → newline     \r → CR     \0 → NUL byte
//
// Every other byte is sent as is, so text is utf8mb4 (CHARACTER SET utf8mb4) and binary
// columns get their bytes unchanged (the server does not convert into a binary column; a
// UTF-8 sequence never contains a byte below 0x80, so escapes cannot fall inside one).
#pragma once

#include <mysql.h>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "weir/batch.hpp"
#include "weir/db/catalog.hpp"
#include "weir/db/dialect.hpp"

namespace weir::db::mysql {

// Appends one value in the format above (without the field separator).
void append_load_data_value(std::string& out, const Value& value);

// The LOAD DATA LOCAL INFILE statement for `columns` of `table`, reading weir's format.
std::string load_data_sql(const Dialect& dialect, const TableRef& table, const std::vector<std::string>& columns);

// The bytes of one LOAD DATA LOCAL "file".
class InfileSource {
 public:
  virtual ~InfileSource() = default;
  // Copies up to `size` next bytes into `buffer`; 0 at the end. May throw: the statement
  // then fails and MyConnection::load_data rethrows.
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
};

// Rows [first, first + count) of a batch, encoded a few hundred at a time as they are read.
class BatchInfile final : public InfileSource {
 public:
  BatchInfile(const Batch& batch, std::size_t first, std::size_t count) noexcept
      : batch_(&batch), next_row_(first), end_row_(first + count) {}
  std::size_t read(char* buffer, std::size_t size) override;

 private:
  void encode_more();

  const Batch* batch_;
  std::size_t next_row_;
  std::size_t end_row_;
  std::string pending_;
  std::size_t sent_ = 0;  // bytes of pending_ already handed out
};

// What the callbacks of one connection serve: the armed source (nullptr: refuse) and what it
// threw, kept until the statement returns (exceptions cannot cross Connector/C).
struct InfileSlot {
  InfileSource* source = nullptr;
  std::exception_ptr error;
};

// Enables LOAD DATA LOCAL on a handle not yet connected (the capability is negotiated at
// connect time) with callbacks that refuse every request until a slot is installed.
void enable_local_infile(MYSQL* db);
// Routes the handle's requests to `slot` (which must outlive the handle's use).
void install_local_infile(MYSQL* db, InfileSlot* slot);

// A warning (or error) the last statement left: level Warning or Error, or the Note that a
// value lost digits ("Data truncated", 1265: even strict mode only rounds a DECIMAL's extra
// fractional digits, and says so in a note).
struct LoadWarning {
  unsigned code = 0;
  std::string message;
  std::size_t count = 0;  // how many such warnings there were in all
};
constexpr unsigned kDataTruncated = 1265;
// Reads SHOW WARNINGS when the last statement left any; nullopt when there are none but
// notes of no lost data. With `lost_data_only`, only warnings of code kDataTruncated count.
std::optional<LoadWarning> first_load_warning(MYSQL* db, bool lost_data_only = false);

}  // namespace weir::db::mysql
