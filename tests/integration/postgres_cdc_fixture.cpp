#include "postgres_cdc_fixture.hpp"

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace weir::cdc_test {
namespace {

using nlohmann::json;

// ---- one canonical text per change, from either decoder ----------------------------------

constexpr unsigned kBytea = 17, kJson = 114, kJsonb = 3802, kTimestamptz = 1184;

// "2026-12-06 08:00:00.1234+00" (PostgreSQL's text, session in UTC) → "2026-12-06T08:00:00.123400Z".
std::string iso_utc(std::string text) {
  EXPECT_TRUE(text.ends_with("+00")) << text;
  text.resize(text.size() - 3);
  text[10] = 'T';
  std::size_t dot = text.find('.');
  if (dot == std::string::npos) text += ".000000";
  else text.append(6 - (text.size() - dot - 1), '0');
  return text + "Z";
}

std::string hex_of_base64(const std::string& text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  unsigned bits = 0, buffer = 0;
  for (char c : text) {
    if (c == '=') break;
    buffer = buffer << 6 | static_cast<unsigned>(kAlphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

// A JSON array as PostgreSQL's array literal (the elements the workload uses).
std::string array_literal(const json& array) {
  std::string out = "{";
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (i) out += ',';
    const json& item = array[i];
    if (item.is_null()) out += "NULL";
    else if (!item.is_string()) out += item.dump();
    else if (item.get<std::string>().find_first_of(" ,\"{}\\") != std::string::npos) out += item.dump();
    else out += item.get<std::string>();
  }
  return out + "}";
}

std::string weir_value(const json& value, unsigned oid) {
  if (value.is_null()) return "NULL";
  if (oid == kBytea) return hex_of_base64(value.get<std::string>());
  if (oid == kJson || oid == kJsonb) return value.dump();
  if (value.is_array()) return array_literal(value);
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string oracle_value(const json& value, unsigned oid) {
  if (value.is_null()) return "NULL";
  std::string text = value.get<std::string>();  // numbers were made strings before parsing
  if (oid == kJson || oid == kJsonb) return json::parse(text).dump();
  if (oid == kTimestamptz) return iso_utc(text);
  return text;
}

// wal2json prints numeric values as bare JSON numbers, which a parser would round: each
// `"value":<number>` becomes a string with the same digits.
std::string numbers_as_strings(const std::string& line) {
  std::string out;
  const std::string key = "\"value\":";
  std::size_t pos = 0;
  for (std::size_t at; (at = line.find(key, pos)) != std::string::npos;) {
    at += key.size();
    out.append(line, pos, at - pos);
    std::size_t end = at;
    while (end < line.size() && std::strchr("-+.0123456789eE", line[end])) ++end;
    if (end > at) out += "\"" + line.substr(at, end - at) + "\"";
    pos = end;
  }
  return out + line.substr(pos);
}

std::string oracle_op(const std::string& action) {
  return action == "I" ? "insert" : action == "U" ? "update" : action == "D" ? "delete" : "truncate";
}

// wal2json format 2 (include-xids, include-timestamp, include-type-oids), one line per action.
}  // namespace

std::vector<std::string> canonical_oracle(const std::string& output) {
  std::vector<std::string> changes;
  for (const std::string& raw : lines_of(output)) {
    json line = json::parse(numbers_as_strings(raw));
    std::string action = line["action"];
    if (action == "B" || action == "C" || action == "M") continue;
    std::string text = fmt::format("{}|{}|{}|{}.{}|after:", line["xid"].dump(), iso_utc(line["timestamp"]),
                                   oracle_op(action), line["schema"].get<std::string>(), line["table"].get<std::string>());
    auto columns = [&](const char* field) {
      std::string out;
      if (!line.contains(field)) return out;
      for (const json& c : line[field])
        out += fmt::format("{}={};", c["name"].get<std::string>(), oracle_value(c["value"], c["typeoid"].get<unsigned>()));
      return out;
    };
    changes.push_back(text + columns("columns") + "|before:" + columns("identity"));
  }
  return changes;
}

std::vector<std::string> canonical_weir(const std::string& output) {
  std::vector<std::string> changes;
  for (const std::string& raw : lines_of(output)) {
    json line = json::parse(raw);
    const json& source = line["source"];
    std::map<std::string, unsigned> oids;
    for (const json& c : line["columns"]) oids[c["name"]] = c["oid"];
    auto object = [&](const json& values) {
      std::string out;
      if (values.is_null()) return out;
      for (const json& c : line["columns"])  // in the table's column order, as wal2json prints
        if (values.contains(c["name"].get<std::string>()))
          out += fmt::format("{}={};", c["name"].get<std::string>(), weir_value(values[c["name"].get<std::string>()], c["oid"]));
      return out;
    };
    changes.push_back(fmt::format("{}|{}|{}|{}.{}|after:{}|before:{}", source["txid"].get<std::uint64_t>(),
                                  source["commit_time"].get<std::string>(), line["op"].get<std::string>(),
                                  source["schema"].get<std::string>(), source["table"].get<std::string>(),
                                  object(line["after"]), object(line["before"])));
  }
  return changes;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace weir::cdc_test
