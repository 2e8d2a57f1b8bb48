// weir::Error — the one exception type of libweir.
//
// Every failure that crosses a public API is a weir::Error carrying an ErrorKind, the native
// code (SQLSTATE, server errno, SQLite extended code) when there is one, and whether retrying
// the same operation may succeed. The message is redacted on construction (see secret.hpp), so
// a credential that slipped into a driver message never reaches a log or a terminal.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace weir {

enum class ErrorKind {
  config,          // bad configuration or arguments: fix the input
  connection,      // could not reach or lost the server
  auth,            // credentials refused
  timeout,         // an operation ran out of time
  syntax,          // SQL text the server cannot parse, or names an unknown object
  unique,          // constraint: unique / primary key
  foreign_key,     // constraint: foreign key
  not_null,        // constraint: not null
  check,           // constraint: check
  deadlock,        // chosen as deadlock victim
  serialization,   // serialization failure, busy / locked
  permission,      // the role may not do this
  data,            // a value the target cannot take (overflow, bad encoding, bad date)
  storage,         // the database's disk, file size limit or quota is full: retrying cannot help
  cancelled,       // cancelled by the user or a signal
  unsupported,     // a feature this driver or build does not offer
  internal,        // a bug in weir
};

std::string_view to_string(ErrorKind kind) noexcept;

// Whether an error of this kind is worth retrying unchanged by default.
bool default_retryable(ErrorKind kind) noexcept;

// True for the four constraint kinds.
bool is_constraint(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  // `message` is redacted; `code` is the native code (SQLSTATE, errno) or empty.
  Error(ErrorKind kind, std::string_view message, std::string code = {});
  Error(ErrorKind kind, std::string_view message, std::string code, bool retryable);

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& code() const noexcept { return code_; }
  bool retryable() const noexcept { return retryable_; }

  // Prefixes the message with where it happened: "reading pipeline orders: <message>".
  Error& add_context(std::string_view context);

 private:
  ErrorKind kind_;
  std::string code_;
  bool retryable_;
};

// Whether work that is safe to run twice (a read, a batch whose transaction was rolled back)
// is worth running again after `e`: a transient error, or a connection that was lost even
// after the statement had been sent (retryable() is false then, for work that is not).
bool worth_rerunning_idempotent(const Error& e) noexcept;

}  // namespace weir
