// Allocations made so far by this test binary (the unit tests only): every operator new is
// counted, so a test can pin how many a piece of code makes, e.g. none per row on a hot path.
// Allocations SQLite makes through malloc are not counted: only weir's own.
#pragma once

namespace weir::test {

long allocations() noexcept;
// False in a ThreadSanitizer build, whose runtime keeps the allocation functions: a test
// pinning allocations skips there.
bool allocations_counted() noexcept;

}  // namespace weir::test
