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
  if (url.password.size() >= 4) {  // as register_secret: a shorter one may be the mask `***` itself
    std::string shown = url.to_string();
    require(shown.find(":" + percent_encode(url.password) + "@") == std::string::npos &&
                shown.find(":" + url.password + "@") == std::string::npos,
            fmt::format("`{}` is shown as `{}`, with its password", text, shown));
  }
}

}  // namespace
}  // namespace weir::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::fuzz::check({reinterpret_cast<const char*>(data), size});
  return 0;
}
