// Helpers for tests of PostgreSQL's logical replication.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "weir/db/connection.hpp"

namespace weir::test {

// Drops `slot` if it exists, retrying for up to 5 s while a WAL sender that just stopped still
// holds it; gives up silently (a test's cleanup).
void drop_replication_slot(db::Connection& connection, const std::string& slot);

// Polls `done` every 100 ms for up to `limit`; its last answer.
template <class Done>
bool eventually(Done done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(100)))
    if (done()) return true;
  return done();
}

}  // namespace weir::test
