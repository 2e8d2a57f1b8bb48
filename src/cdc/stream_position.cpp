#include "cdc/stream_position.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "weir/error.hpp"

namespace weir::cdc {

std::string encode_position(const StreamPosition& position) {
  std::string text = fmt::format(R"({{"commit_lsn":"{}","index":{})", format_lsn(position.commit_lsn), position.index);
  if (position.end_lsn) text += fmt::format(R"(,"end_lsn":"{}")", format_lsn(*position.end_lsn));
  if (position.snapshot) text += R"(,"snapshot":true)";
  return text + "}";
}

StreamPosition decode_position(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(ErrorKind::config,
                 fmt::format("the saved position `{}` is not a postgres_cdc position ({}); run with --reset to "
                             "start over",
                             text.substr(0, 120), why));
  };
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("commit_lsn") || !json.contains("index")) throw bad("fields missing");
  StreamPosition position;
  auto lsn = [&](const char* field) {
    if (!json[field].is_string()) throw bad(fmt::format("{} is not text", field));
    auto parsed = parse_lsn(json[field].get<std::string>());
    if (!parsed) throw bad(fmt::format("{} is not an LSN", field));
    return *parsed;
  };
  position.commit_lsn = lsn("commit_lsn");
  if (!json["index"].is_number_unsigned()) throw bad("index is not a count");
  position.index = json["index"].get<std::uint64_t>();
  if (json.contains("end_lsn")) position.end_lsn = lsn("end_lsn");
  if (json.contains("snapshot")) {
    if (!json["snapshot"].is_boolean()) throw bad("snapshot is not true or false");
    position.snapshot = json["snapshot"].get<bool>();
  }
  return position;
}

}  // namespace weir::cdc
