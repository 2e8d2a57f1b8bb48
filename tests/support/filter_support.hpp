// Helpers for tests that drive filter modules directly: build one from YAML options the way
// the project loader does, feed it batches, collect its dead letters.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/connections.hpp"
#include "pipeline/module.hpp"
#include "weir/batch.hpp"

namespace weir::test {

class DeadLetters final : public pipeline::DeadLetterSink {
 public:
  void add(pipeline::DeadLetter letter) override { letters.push_back(std::move(letter)); }
  std::vector<pipeline::DeadLetter> letters;
};

// The filter module `module` made from `yaml` (its options), validated against its spec
// first; YAML paths start at `path`. Throws Error{config} like the loader would. Not opened.
std::unique_ptr<pipeline::Filter> make_filter(std::string_view module, const std::string& yaml,
                                              const db::Connections& connections,
                                              const std::string& path = "pipelines.p.filters[0]");

// A nullable column of `type` (no native type).
inline Column column(std::string name, Type type) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  return c;
}

// A batch with `columns` holding `rows`.
Batch make_batch(std::vector<Column> columns, const std::vector<std::vector<Value>>& rows);

// The text of a cell by column name, "NULL" for NULL; "(no column)" when absent.
std::string cell(const Batch& batch, std::size_t row, std::string_view column);

// One column of every row, as cell() shows it.
std::vector<std::string> column_of(const Batch& batch, std::string_view column);

}  // namespace weir::test
