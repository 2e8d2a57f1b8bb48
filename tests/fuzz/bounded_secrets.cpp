// The secret registry keeps every password it is given for the life of the process, and every
// error message is checked against all of them: right for weir, which registers a handful, but
// the url and config targets register one per input, and would slow to a crawl. Linked with
// `--wrap` (see CMakeLists.txt), register_secret passes on the first kKept and drops the rest;
// the targets' invariants do not rely on the registry (URLs are masked by their shape).
#include <cstddef>
#include <string_view>

#define WEIR_REGISTER_SECRET _ZN4weir15register_secretESt17basic_string_viewIcSt11char_traitsIcEE
#define WEIR_GLUE(a, b) a##b
#define WEIR_WRAPPED(prefix, name) WEIR_GLUE(prefix, name)

extern "C" {
void WEIR_WRAPPED(__real_, WEIR_REGISTER_SECRET)(std::string_view secret);

void WEIR_WRAPPED(__wrap_, WEIR_REGISTER_SECRET)(std::string_view secret) {
  constexpr std::size_t kKept = 64;
  static std::size_t registered = 0;
  if (registered < kKept) {
    ++registered;
    WEIR_WRAPPED(__real_, WEIR_REGISTER_SECRET)(secret);
  }
}
}
