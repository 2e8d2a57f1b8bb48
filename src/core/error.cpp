#include "weir/error.hpp"

#include "weir/secret.hpp"

namespace weir {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::config: return "config";
    case ErrorKind::connection: return "connection";
    case ErrorKind::auth: return "auth";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::syntax: return "syntax";
    case ErrorKind::unique: return "unique";
    case ErrorKind::foreign_key: return "foreign_key";
    case ErrorKind::not_null: return "not_null";
    case ErrorKind::check: return "check";
    case ErrorKind::deadlock: return "deadlock";
    case ErrorKind::serialization: return "serialization";
    case ErrorKind::permission: return "permission";
    case ErrorKind::data: return "data";
    case ErrorKind::storage: return "storage";
    case ErrorKind::cancelled: return "cancelled";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

bool default_retryable(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::connection:
    case ErrorKind::timeout:
    case ErrorKind::deadlock:
    case ErrorKind::serialization:
      return true;
    default:
      return false;
  }
}

bool worth_rerunning_idempotent(const Error& e) noexcept {
  return e.retryable() || e.kind() == ErrorKind::connection;
}

bool is_constraint(ErrorKind kind) noexcept {
  return kind == ErrorKind::unique || kind == ErrorKind::foreign_key ||
         kind == ErrorKind::not_null || kind == ErrorKind::check;
}

Error::Error(ErrorKind kind, std::string_view message, std::string code)
    : Error(kind, message, std::move(code), default_retryable(kind)) {}

Error::Error(ErrorKind kind, std::string_view message, std::string code, bool retryable)
    : std::runtime_error(redact(message)),
      kind_(kind),
      code_(std::move(code)),
      retryable_(retryable) {}

Error& Error::add_context(std::string_view context) {
  std::string joined = redact(context);
  joined += ": ";
  joined += what();
  static_cast<std::runtime_error&>(*this) = std::runtime_error(joined);
  return *this;
}

}  // namespace weir
