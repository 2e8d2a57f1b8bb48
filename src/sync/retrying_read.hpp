// A read of a sync's source or target that a lost connection (a server restart) starts again:
// the copy's range readers and --verify only read, so whatever failed is worth rerunning, under
// the policy `retry:` means when it is left out, with one warning per retried failure naming
// what was being read and where.
#pragma once

#include <stop_token>
#include <string>
#include <utility>

#include "modules/retry_option.hpp"
#include "weir/db/driver.hpp"
#include "weir/db/pool.hpp"
#include "weir/retry.hpp"

namespace weir::sync {

template <class F>
auto retrying_read(std::string what, const db::ConnectionConfig& from, F&& read, std::stop_token stop = {}) {
  const RetryPolicy policy = modules::default_retry_policy();
  return retry_if(
      policy, [](const Error& e) { return db::worth_rerunning(e, true, db::Idempotent::yes); }, std::forward<F>(read),
      logged_retries(std::move(what), from.describe(), policy, std::move(stop)));
}

}  // namespace weir::sync
