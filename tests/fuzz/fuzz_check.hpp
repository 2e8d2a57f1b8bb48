// What the fuzz targets share: the errors an entry point may throw for bad input, and
// invariants that abort (which libFuzzer records as a crash, with the input that broke them).
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string_view>

#include "weir/error.hpp"

namespace weir::fuzz {

// Stops the run when `ok` is false: `what` says which invariant broke and on what.
inline void require(bool ok, std::string_view what) {
  if (ok) return;
  std::fputs("fuzz invariant broken: ", stderr);
  std::fwrite(what.data(), 1, what.size(), stderr);  // whole, NUL bytes included
  std::fputc('\n', stderr);
  std::abort();
}

// An Error thrown for bad input is the documented outcome, but only of the kinds the entry point
// promises: anything else (internal, or another exception type escaping) is a bug.
inline void expect_kind(const Error& e, std::initializer_list<ErrorKind> kinds) {
  for (ErrorKind k : kinds)
    if (e.kind() == k) return;
  require(false, fmt::format("unexpected {} error: {}", to_string(e.kind()), e.what()));
}

}  // namespace weir::fuzz
