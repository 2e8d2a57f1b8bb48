// Readable gtest output for weir values, types and error kinds in the db unit tests.
//
// In an unnamed inline namespace: found by argument-dependent lookup on weir types, yet local
// to each test file, so it cannot clash with a printer another test file defines.
#pragma once

#include <ostream>

#include "weir/error.hpp"
#include "weir/value.hpp"

namespace weir {
inline namespace {

[[maybe_unused]] void PrintTo(const Value& v, std::ostream* os) {
  *os << to_string(v.type());
  if (!v.is_null()) *os << " `" << v.to_text() << "`";
}
[[maybe_unused]] void PrintTo(Type type, std::ostream* os) { *os << to_string(type); }
[[maybe_unused]] void PrintTo(ErrorKind kind, std::ostream* os) { *os << to_string(kind); }

}  // namespace
}  // namespace weir
