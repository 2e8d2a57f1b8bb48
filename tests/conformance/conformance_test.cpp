#include "conformance/conformance_test.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>

#include <fmt/format.h>

namespace weir::conformance {
namespace {

// "Drivers/ConformanceBulk" → "ConformanceBulk"; "Upsert/sqlite_file" → "Upsert".
std::string_view after_slash(std::string_view s) {
  auto slash = s.find('/');
  return slash == std::string_view::npos ? s : s.substr(slash + 1);
}
std::string_view before_slash(std::string_view s) { return s.substr(0, s.find('/')); }

}  // namespace

void ConformanceTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const char* run_skipped = std::getenv("WEIR_CONFORMANCE_RUN_SKIPPED");
  if (auto reason = ctx().skip_reason(after_slash(info->test_suite_name()), before_slash(info->name()))) {
    if (run_skipped && std::string_view(run_skipped) == "1") std::cerr << "running despite skip: " << *reason << "\n";
    else GTEST_SKIP() << ctx().name << ": " << *reason;
  }
  conn_ = ctx().connect();
}

void ConformanceTest::TearDown() {
  if (!conn_) return;
  try {
    if (conn_->in_transaction()) conn_->rollback();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "rollback in TearDown failed: " << e.what();
  }
  for (auto it = tables_.rbegin(); it != tables_.rend(); ++it) {
    try {
      conn_->execute("DROP TABLE IF EXISTS " + q(*it));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "dropping " << *it << " failed: " << e.what();
    }
  }
  conn_.reset();
}

std::string ConformanceTest::placeholders(std::size_t count, std::size_t first) const {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += ", ";
    out += p(first + i);
  }
  return out;
}

std::string ConformanceTest::create_table(std::string_view prefix, std::string_view columns_sql) {
  std::string name = ctx().unique_table_name(prefix);
  create_table_named(name, columns_sql);
  return name;
}

void ConformanceTest::create_table_named(const std::string& name, std::string_view columns_sql) {
  conn_->execute(fmt::format("CREATE TABLE {} ({})", q(name), columns_sql));
  tables_.push_back(name);
}

Rows ConformanceTest::rows(std::string_view sql, std::span<const Value> params) {
  return rows(*conn_, sql, params);
}

Rows ConformanceTest::rows(db::Connection& c, std::string_view sql, std::span<const Value> params) {
  Rows out;
  auto cursor = c.query(sql, params);
  Batch batch;
  while (cursor->next(batch, 500))
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      auto row = batch.row(r);
      out.emplace_back(row.begin(), row.end());
    }
  return out;
}

Value ConformanceTest::scalar(std::string_view sql, std::span<const Value> params) {
  Rows r = rows(sql, params);
  if (r.size() != 1 || r[0].size() != 1) {
    ADD_FAILURE() << "expected one value from " << sql << ", got " << r.size() << " row(s)";
    return Value();
  }
  return r[0][0];
}

std::int64_t ConformanceTest::count_rows(const std::string& table) { return count_rows(*conn_, table); }

std::int64_t ConformanceTest::count_rows(db::Connection& c, const std::string& table) {
  Rows r = rows(c, "SELECT COUNT(*) FROM " + q(table));
  if (r.size() != 1 || r[0].size() != 1 || r[0][0].type() != Type::int64) {
    ADD_FAILURE() << "COUNT(*) of " << table << " did not return one int64";
    return -1;
  }
  return r[0][0].as_int();
}

std::uint64_t ConformanceTest::insert(const std::string& table, const std::vector<std::string>& columns,
                                      std::vector<Value> values) {
  std::string names;
  for (const auto& c : columns) names += (names.empty() ? "" : ", ") + q(c);
  return conn_->execute(
      fmt::format("INSERT INTO {} ({}) VALUES ({})", q(table), names, placeholders(columns.size())), values);
}

db::WriteCounts ConformanceTest::bulk_counts(db::WriteMode mode, const std::string& table,
                                            const std::vector<std::string>& columns, const Rows& data,
                                            const std::vector<std::string>& key) {
  auto writer = conn_->bulk_writer(db::WriteSpec{db::TableRef{"", table}, columns, mode, key});
  const db::WriteCounts written = writer->write(make_batch(columns, data));
  EXPECT_EQ(writer->finish(), written) << "finish() sums what the writes returned";
  return written;
}

bool ConformanceTest::require_type(Type type) {
  if (ctx().supports(type)) return true;
  [&] { GTEST_SKIP() << ctx().name << " does not declare support for " << to_string(type); }();
  return false;
}

Batch make_batch(const std::vector<std::string>& columns, const Rows& data) {
  std::vector<Column> cols;
  for (const auto& name : columns) cols.push_back(Column{name, Type::null, "", true});
  Batch batch(std::make_shared<const Schema>(std::move(cols)));
  for (const Row& row : data) batch.append_row(row);
  return batch;
}

std::string normalize_decimal(std::string_view text) {
  std::string s(text);
  bool negative = !s.empty() && s[0] == '-';
  if (negative || (!s.empty() && s[0] == '+')) s.erase(0, 1);
  if (auto dot = s.find('.'); dot != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  auto first = s.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  s.erase(0, first);
  if (s[0] == '.') s.insert(0, "0");
  return negative ? "-" + s : s;
}

std::string compact_json(std::string_view text) {
  std::string out;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      out += c;
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
      out += c;
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      out += c;
    }
  }
  return out;
}

bool same_value(Type type, const Value& want, const Value& got) {
  if (want.is_null() || got.is_null()) return want.is_null() && got.is_null();
  if (want.type() != got.type()) return false;
  if (type == Type::float64 && std::isnan(want.as_double())) return std::isnan(got.as_double());
  if (type == Type::decimal)
    return normalize_decimal(want.get<Decimal>().text) == normalize_decimal(got.get<Decimal>().text);
  if (type == Type::json) return compact_json(want.get<Json>().text) == compact_json(got.get<Json>().text);
  return want == got;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  return contains(lower(haystack), lower(needle));
}

}  // namespace weir::conformance
