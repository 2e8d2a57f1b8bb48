#include "support/replication_slots.hpp"

#include <fmt/format.h>

#include <array>

#include "weir/error.hpp"

namespace weir::test {

void drop_replication_slot(db::Connection& connection, const std::string& slot) {
  std::array<Value, 1> name{Value(slot)};
  for (int attempt = 0; attempt < 50; ++attempt) {
    try {
      connection.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
                         name);
      return;
    } catch (const Error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace weir::test
