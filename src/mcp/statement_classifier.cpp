#include "mcp/statement_classifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "core/text.hpp"
#include "db/common/sql_lexer.hpp"

namespace weir::mcp {
namespace {

using db::sql::Token;
using db::sql::TokenKind;

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  return out;
}

template <std::size_t N>
bool one_of(std::string_view word, const std::array<std::string_view, N>& words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// A quoted identifier's name: the quotes taken off and doubled quote characters undone.
std::string unquoted(std::string_view text) {
  if (text.size() < 2) return std::string(text);
  char close = text.back();
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    out += text[i];
    if (text[i] == close && i + 2 < text.size() && text[i + 1] == close) ++i;
  }
  return out;
}

// The meaningful tokens of one reading of the text; nullopt when something is left unclosed.
struct Reading {
  std::vector<Token> tokens;  // no spaces or comments
  std::vector<Token> comments;
};

std::optional<Reading> read(std::string_view sql, const db::SqlSyntax& syntax) {
  db::sql::Scan scan = db::sql::scan(sql, {.syntax = syntax});
  if (scan.unclosed) return std::nullopt;
  Reading out;
  for (const Token& t : scan.tokens) {
    if (t.kind == TokenKind::comment) out.comments.push_back(t);
    else if (t.kind != TokenKind::space) out.tokens.push_back(t);
  }
  return out;
}

// SQL words that precede `(` without calling a function.
constexpr std::array<std::string_view, 32> kNotFunctions = {
    "in",     "exists", "over",  "filter", "values", "as",        "any",    "all",
    "some",   "row",    "array", "using",  "on",     "from",      "join",   "lateral",
    "where",  "and",    "or",    "not",    "select", "with",      "by",     "between",
    "when",   "then",   "else",  "is",     "union",  "intersect", "except", "returns"};

std::vector<std::string> function_names(const std::vector<Token>& tokens, std::string_view sql) {
  std::set<std::string> names;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (tokens[i + 1].kind != TokenKind::lparen) continue;
    std::string name;
    if (t.kind == TokenKind::word) name = to_lower(t.text(sql));
    else if (t.kind == TokenKind::identifier) name = to_lower(unquoted(t.text(sql)));
    else continue;
    if (t.kind == TokenKind::word && one_of(name, kNotFunctions)) continue;
    names.insert(std::move(name));
  }
  return {names.begin(), names.end()};
}

constexpr std::array<std::string_view, 8> kReadingVerbs = {"SELECT", "WITH", "VALUES", "TABLE",
                                                           "SHOW",   "EXPLAIN", "DESCRIBE", "DESC"};
constexpr std::array<std::string_view, 4> kQueryVerbs = {"SELECT", "WITH", "VALUES", "TABLE"};
// Words of EXPLAIN's options, between EXPLAIN and the statement explained.
constexpr std::array<std::string_view, 12> kExplainOptions = {"ANALYZE", "ANALYSE", "VERBOSE", "EXTENDED",
                                                              "PARTITIONS", "FORMAT", "JSON", "TEXT",
                                                              "TRADITIONAL", "TREE", "QUERY", "PLAN"};
// Words that write, lock, or send rows anywhere but back to the caller.
constexpr std::array<std::string_view, 10> kWritingWords = {"INSERT", "UPDATE", "DELETE",  "MERGE",  "UPSERT",
                                                            "INTO",   "OUTFILE", "DUMPFILE", "LOCK", "CALL"};

std::optional<std::string> check_verb(const std::vector<Token>& tokens, std::string_view sql) {
  std::size_t i = 0;
  while (i < tokens.size() && tokens[i].kind == TokenKind::lparen) ++i;
  if (i == tokens.size() || tokens[i].kind != TokenKind::word) return "the SQL holds no statement";
  std::string verb = upper(tokens[i].text(sql));
  if (!one_of(verb, kReadingVerbs))
    return fmt::format("`{}` statements do not run on a read-only connection: only SELECT, WITH, VALUES, TABLE, "
                       "EXPLAIN and SHOW do",
                       verb);
  if (verb != "EXPLAIN") return std::nullopt;
  for (++i; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == TokenKind::lparen && i + 1 < tokens.size() && tokens[i + 1].kind == TokenKind::word &&
        one_of(upper(tokens[i + 1].text(sql)), kExplainOptions)) {
      while (i < tokens.size() && tokens[i].kind != TokenKind::rparen) ++i;  // EXPLAIN (ANALYZE, …)
      continue;
    }
    if (t.kind == TokenKind::op || t.kind == TokenKind::comma) continue;
    if (t.kind != TokenKind::word) break;
    std::string word = upper(t.text(sql));
    if (one_of(word, kQueryVerbs)) return std::nullopt;
    if (!one_of(word, kExplainOptions)) break;
  }
  return "EXPLAIN runs on a read-only connection only for a SELECT, WITH, VALUES or TABLE statement";
}

std::optional<std::string> check_words(const std::vector<Token>& tokens, std::string_view sql, SqlFamily family) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    bool before_paren = i + 1 < tokens.size() && tokens[i + 1].kind == TokenKind::lparen;
    if (t.kind == TokenKind::op && family == SqlFamily::mysql && t.text(sql).find(":=") != std::string_view::npos)
      return "`:=` assigns a session variable: not on a read-only connection";
    if (t.kind != TokenKind::word) continue;
    std::string word = upper(t.text(sql));
    std::string next = i + 1 < tokens.size() && tokens[i + 1].kind == TokenKind::word ? upper(tokens[i + 1].text(sql)) : "";
    if (one_of(word, kWritingWords) || (word == "REPLACE" && !before_paren))
      return fmt::format("`{}` writes, locks or sends rows elsewhere: not on a read-only connection", word);
    if (word == "FOR" && (next == "SHARE" || next == "NO" || next == "KEY"))
      return "a locking clause (FOR SHARE, FOR KEY SHARE) locks rows: not on a read-only connection";
    if (word == "NEXT" && next == "VALUE") return "NEXT VALUE FOR advances a sequence: not on a read-only connection";
  }
  return std::nullopt;
}

std::optional<std::string> check_one_reading(const Reading& r, std::string_view sql, SqlFamily family) {
  for (const Token& c : r.comments) {
    std::string head = upper(c.text(sql).substr(0, 4));
    // Refused on every database: harmless to PostgreSQL and SQLite, but never needed in a read,
    // and a proxy or a replica in front may be MySQL.
    if (head.starts_with("/*!") || head.starts_with("/*M!"))
      return "MySQL runs the text of /*! … */ comments as SQL: leave them out";
  }
  auto semicolon = std::find_if(r.tokens.begin(), r.tokens.end(), [](const Token& t) { return t.kind == TokenKind::semicolon; });
  if (std::any_of(semicolon, r.tokens.end(), [](const Token& t) { return t.kind != TokenKind::semicolon; }))
    return "exactly one statement per call: the SQL holds more than one";
  if (auto refusal = check_verb(r.tokens, sql)) return refusal;
  if (auto refusal = check_words(r.tokens, sql, family)) return refusal;
  for (const std::string& name : function_names(r.tokens, sql))
    if (denied_function(name, family))
      return fmt::format("`{}()` acts outside the query (files, other sessions, locks, sequences): not on a "
                         "read-only connection",
                         name);
  return std::nullopt;
}

// Every way the server may lex the text: as its dialect says, and with backslash escapes the
// other way (MySQL's NO_BACKSLASH_ESCAPES, PostgreSQL's standard_conforming_strings = off).
std::vector<db::SqlSyntax> readings(SqlFamily family, const db::SqlSyntax& syntax) {
  std::vector<db::SqlSyntax> out{syntax};
  if (family != SqlFamily::sqlite) {
    db::SqlSyntax other = syntax;
    other.backslash_escapes = !syntax.backslash_escapes;
    out.push_back(other);
  }
  return out;
}

std::string statement_text(const Reading& r, std::string_view sql) {
  std::size_t end = r.tokens.size();
  while (end > 0 && r.tokens[end - 1].kind == TokenKind::semicolon) --end;
  if (end == 0) return "";
  return std::string(sql.substr(r.tokens.front().begin, r.tokens[end - 1].end - r.tokens.front().begin));
}

}  // namespace

SqlFamily sql_family(std::string_view dialect_name) {
  if (dialect_name == "postgres" || dialect_name == "postgresql") return SqlFamily::postgres;
  if (dialect_name == "sqlite") return SqlFamily::sqlite;
  return SqlFamily::mysql;
}

bool denied_function(std::string_view name, SqlFamily family) {
  static constexpr std::array<std::string_view, 29> kPostgres = {
      "pg_read_file", "pg_read_binary_file", "pg_stat_file", "lowrite", "loread",
      "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
      "pg_switch_wal", "pg_create_restore_point", "pg_backup_start", "pg_start_backup", "pg_backup_stop",
      "pg_stop_backup", "pg_notify", "set_config", "nextval", "setval",
      "txid_current", "pg_current_xact_id", "pg_logical_emit_message", "query_to_xml", "query_to_xmlschema",
      "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema", "pg_import_system_collations"};
  static constexpr std::array<std::string_view, 10> kPostgresPrefixes = {
      "dblink", "lo_", "pg_ls_", "pg_advisory_", "pg_try_advisory_", "pg_create_", "pg_drop_",
      "pg_replication_origin_", "pg_file_", "pg_logdir_"};
  static constexpr std::array<std::string_view, 20> kMysql = {
      "load_file", "get_lock", "release_lock", "release_all_locks", "is_used_lock", "is_free_lock",
      "sleep", "benchmark", "master_pos_wait", "source_pos_wait", "master_gtid_wait",
      "wait_for_executed_gtid_set", "wait_until_sql_thread_after_gtids", "sys_exec", "sys_eval", "sys_get",
      "sys_set", "nextval", "setval", "lastval"};
  static constexpr std::array<std::string_view, 5> kSqlite = {"load_extension", "writefile", "readfile", "edit",
                                                              "fts3_tokenizer"};
  switch (family) {
    case SqlFamily::postgres:
      return one_of(name, kPostgres) ||
             std::any_of(kPostgresPrefixes.begin(), kPostgresPrefixes.end(), [&](std::string_view p) { return name.starts_with(p); });
    case SqlFamily::mysql: return one_of(name, kMysql);
    case SqlFamily::sqlite: return one_of(name, kSqlite);
  }
  return false;
}

std::vector<std::string> called_functions(std::string_view text, const db::SqlSyntax& syntax) {
  std::optional<Reading> r = read(text, syntax);
  return r ? function_names(r->tokens, text) : std::vector<std::string>{};
}

Classified classify_read_only(std::string_view sql, SqlFamily family, const db::SqlSyntax& syntax) {
  Classified out;
  std::set<std::string> functions;
  for (const db::SqlSyntax& each : readings(family, syntax)) {
    std::optional<Reading> r = read(sql, each);
    if (!r) {
      out.refusal = "the SQL has an unclosed string, quoted name or comment (or one whose end depends on the "
                    "server's backslash setting)";
      return out;
    }
    if (out.statement.empty()) {
      out.statement = statement_text(*r, sql);
      if (!r->tokens.empty()) out.statement_begin = r->tokens.front().begin;
    }
    if (auto refusal = check_one_reading(*r, sql, family)) {
      out.refusal = std::move(refusal);
      return out;
    }
    for (std::string& name : function_names(r->tokens, sql)) functions.insert(std::move(name));
  }
  out.functions.assign(functions.begin(), functions.end());
  return out;
}

}  // namespace weir::mcp
