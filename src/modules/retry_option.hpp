// The `retry:` option of every module that talks to a database (sql_poll, sql_call,
// sql_write): how long a transient failure — a server restarting or unreachable, a dropped
// connection, a deadlock — is retried before the error stands. Declared once so it means the
// same everywhere; what counts as transient is db::worth_rerunning (weir/db/pool.hpp).
#pragma once

#include "core/config_spec.hpp"
#include "weir/retry.hpp"

namespace weir::modules {

// The field to list in a module's spec.
const config::Field& retry_field();

// The policy `section`'s `retry:` asks for (the defaults when absent); throws Error{config}
// naming the YAML path of a bad value.
RetryPolicy read_retry_policy(const config::Section& section);

// The policy `retry:` means when it is left out: what the state store and the dead letters,
// which have no option of their own, retry their work with.
RetryPolicy default_retry_policy();

}  // namespace weir::modules
