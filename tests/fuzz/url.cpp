// Connection URLs as a user writes them (`weir query URL`, `url:` of a connection): parsed,
// their options checked against the driver's spec and read into its settings, as `weir
// validate` and connecting do. Invariants: the URL printed with its password reads back as the
// same URL, and the printed (masked) form never shows the password.
#include <cstddef>
#include <cstdint>

#include "db/mysql/options.hpp"
#include "db/postgres/options.hpp"
#include "db/sqlite/options.hpp"
#include "db/url_options.hpp"
#include "fuzz_check.hpp"
#include "weir/url.hpp"

namespace weir::fuzz {
namespace {

// What connecting reads from the URL before it touches the network.
void read_driver_settings(const Url& url) {
  db::ConnectionConfig config;
  config.name = "fuzz";
  config.url = url;
  try {
    if (url.scheme == "postgres") (void)db::postgres::read_settings(config);
    else if (url.scheme == "mysql") (void)db::mysql::read_settings(config);
    else if (url.scheme == "sqlite") (void)db::sqlite::read_options(config);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});
  }
}

void check(std::string_view text) {
  Url url;
  try {
    url = Url::parse(text);
  } catch (const Error& e) {
    expect_kind(e, {ErrorKind::config});
    return;
  }
  if (db::url_option_problems(url).empty()) read_driver_settings(url);

  std::string printed = url.to_string_with_password();
  Url again;
  try {
    again = Url::parse(printed);
  } catch (const Error& e) {
    require(false, fmt::format("`{}` printed as `{}`, which does not parse: {}", text, printed, e.what()));
  }
  require(again == url, fmt::format("`{}` printed as `{}`, which reads back as another URL", text, printed));
  // The shown form reads back with the mask for a password (a password may be made of the
  // characters around the mask, as `//.:***` after the user `.`: a search of the text would
  // find it there).
  if (!url.password.empty() && url.password != "***") {
    std::string shown = url.to_string();
    Url seen;
    try {
      seen = Url::parse(shown);
    } catch (const Error& e) {
      require(false, fmt::format("`{}` is shown as `{}`, which does not parse: {}", text, shown, e.what()));
    }
    require(seen.password == "***", fmt::format("`{}` is shown as `{}`, with its password", text, shown));
  }
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check({reinterpret_cast<const char*>(data), size});
  return 0;
}
