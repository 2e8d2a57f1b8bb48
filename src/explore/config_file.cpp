#include "explore/config_file.hpp"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/yaml_document.hpp"
#include "db/connections.hpp"
#include "db/url_options.hpp"
#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir::explore {
namespace {

namespace fs = std::filesystem;

void check_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!ok)
    throw Error(ErrorKind::config, fmt::format("connection name `{}`: use letters, digits, `_` and `-` (not starting "
                                               "with a digit), at most 64 characters", name));
}

// A YAML double-quoted scalar that reads back as `text`, `${` kept literal (the loader expands it).
std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"' || c == '\\') out += '\\';
    if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') out += '$';
    out += c;
  }
  return out + '"';
}

std::string read_text(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::config, fmt::format("{}: cannot read the file", file));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The URL as stored: a SQLite file relative to the config file's folder (how it is read back).
std::string stored_url(Url url, const fs::path& config_dir) {
  if (url.file_path && url.database != ":memory:") {
    fs::path absolute = fs::absolute(url.database).lexically_normal();
    url.database = absolute.lexically_relative(fs::absolute(config_dir).lexically_normal()).string();
    if (url.database.empty() || url.database.starts_with("..")) url.database = absolute.string();
  }
  return url.to_string();
}

std::string entry_line(const NewConnection& c, const std::string& url) {
  std::string out = fmt::format("{}: {{ url: {}", c.name, yaml_quoted(url));
  if (!c.password_env.empty()) out += fmt::format(", password: {{ env: {} }}", c.password_env);
  if (!c.password_file.empty()) out += fmt::format(", password: {{ file: {} }}", yaml_quoted(c.password_file));
  if (c.read_only) out += ", read_only: true";
  if (c.connect_timeout) out += fmt::format(", connect_timeout: {}s", c.connect_timeout->count());
  if (c.query_timeout) out += fmt::format(", query_timeout: {}s", c.query_timeout->count());
  return out + " }";
}

// `text` with `entry` added under `connections:` (block style), made when there is none.
std::string with_entry(const std::string& file, const std::string& text, const std::string& entry) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return "connections:\n  " + entry + "\n";
  config::Document doc = config::parse_document(text, file);
  if (!doc.root.IsMap()) throw Error(ErrorKind::config, fmt::format("{}: expected a map at the top", file));
  for (auto it = doc.root.begin(); it != doc.root.end(); ++it) {
    if (it->first.Scalar() != "connections") continue;
    std::size_t key_line = static_cast<std::size_t>(it->first.Mark().line);
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    const YAML::Node block = it->second;
    std::size_t at = key_line + 1, indent = 2;
    if (block.IsMap() && block.size() > 0 && static_cast<std::size_t>(block.begin()->first.Mark().line) > key_line) {
      at = static_cast<std::size_t>(block.begin()->first.Mark().line);
      indent = static_cast<std::size_t>(block.begin()->first.Mark().column);
    } else if (!block.IsNull()) {
      throw Error(ErrorKind::config, fmt::format("{}:{}: `connections:` is not written one entry per line; add "
                                                 "this one by hand: {}", file, key_line + 1, entry));
    }
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(std::min(at, lines.size())), std::string(indent, ' ') + entry);
    std::string out;
    for (const std::string& line : lines) out += line + "\n";
    return out;
  }
  return text + (text.ends_with('\n') ? "" : "\n") + "connections:\n  " + entry + "\n";
}

// Writes `text` to a new file beside `file`, then renames it over `file`.
void replace_file(const std::string& file, const std::string& text) {
  fs::path target(file), temporary = target;
  temporary += ".weir-new";
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw Error(ErrorKind::storage, fmt::format("{}: cannot write {}", file, temporary.string()));
  }
  std::error_code ec;
  if (fs::exists(target)) fs::permissions(temporary, fs::status(target).permissions(), ec);
  fs::rename(temporary, target, ec);
  if (ec) {
    fs::remove(temporary);
    throw Error(ErrorKind::storage, fmt::format("{}: cannot replace the file: {}", file, ec.message()));
  }
}

// The connection as the test uses it: the password read from where the entry will say.
db::ConnectionConfig test_config(const NewConnection& c, const Url& url) {
  db::ConnectionConfig config{c.name, url, {}, c.read_only, {}, {}};
  config.url.password = referenced_password(c);
  return config;
}

}  // namespace

std::string referenced_password(const NewConnection& c) {
  std::string password;
  if (!c.password_env.empty()) {
    if (!config::is_variable_name(c.password_env))
      throw Error(ErrorKind::config, "--password-env expects the name of an environment variable (letters, digits "
                                     "and _); the value given is not shown, in case it is the password itself");
    auto value = config::process_env()(c.password_env);
    if (!value) throw Error(ErrorKind::config, fmt::format("environment variable {} is not set", c.password_env));
    password = *value;
  }
  if (!c.password_file.empty()) {
    password = read_text(c.password_file);
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  }
  register_secret(password);
  return password;
}

ConnectionStatus add_connection(const std::string& file, const NewConnection& given) {
  NewConnection c = given;
  check_name(c.name);
  if (!c.password_env.empty() && !c.password_file.empty())
    throw Error(ErrorKind::config, "give --password-env or --password-file, not both");
  Url url = Url::parse(c.url);
  if (!url.password.empty()) {
    register_secret(url.password);
    throw Error(ErrorKind::config, "the URL holds a password, and weir never writes a password in plain text: give "
                                   "the URL without it and the password with --password-env VAR or --password-file FILE");
  }
  if (auto problems = db::url_option_problems(url); !problems.empty())
    throw Error(ErrorKind::config, fmt::format("{}: {}", url.to_string(), fmt::join(problems, "; ")));
  if (!c.password_file.empty()) c.password_file = fs::absolute(c.password_file).lexically_normal().string();
  std::string text = fs::exists(file) ? read_text(file) : "";
  if (!text.empty()) {
    config::Document doc = config::parse_document(text, file);
    for (const std::string& name : db::connection_names(doc))
      if (name == c.name)
        throw Error(ErrorKind::config, fmt::format("{}: connection `{}` is already there; choose another name or "
                                                   "remove it from the file first", file, c.name));
  }
  ConnectionStatus status = check_connection(test_config(c, url));
  if (!status.ok) throw Error(ErrorKind::connection, fmt::format("connection `{}` was not added: {}", c.name, status.error));
  fs::path config_dir = fs::path(file).has_parent_path() ? fs::path(file).parent_path() : fs::path(".");
  std::string updated = with_entry(file, text, entry_line(c, stored_url(url, config_dir)));
  config::Document check = config::parse_document(updated, file);  // reads back, or nothing is written
  db::resolve_connection(c.name, &check);
  replace_file(file, updated);
  return status;
}

}  // namespace weir::explore
