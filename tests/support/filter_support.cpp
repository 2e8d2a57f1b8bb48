#include "support/filter_support.hpp"

#include <yaml-cpp/yaml.h>

#include "core/config_spec.hpp"
#include "weir/error.hpp"

namespace weir::test {

std::unique_ptr<pipeline::Filter> make_filter(std::string_view module, const std::string& yaml,
                                              const db::Connections& connections, const std::string& path) {
  for (const pipeline::FilterModule& m : pipeline::filter_modules()) {
    if (m.name != module) continue;
    YAML::Node node = YAML::Load(yaml);
    std::string module_path = path + "." + std::string(module);
    config::Diagnostics d("test.yaml");
    config::validate(node, m.spec(), module_path, d);
    d.throw_if_any();
    pipeline::ModuleContext context(connections, "p");
    return m.make(config::Section(node, m.spec(), module_path), context);
  }
  throw Error(ErrorKind::config, "no filter module " + std::string(module));
}

Batch make_batch(std::vector<Column> columns, const std::vector<std::vector<Value>>& rows) {
  Batch batch(std::make_shared<const Schema>(std::move(columns)));
  for (const auto& row : rows) batch.append_row(row);
  return batch;
}

std::string cell(const Batch& batch, std::size_t row, std::string_view column) {
  auto index = batch.schema().find(column);
  if (!index) return "(no column)";
  const Value& v = batch.at(row, *index);
  return v.is_null() ? "NULL" : v.to_text();
}

std::vector<std::string> column_of(const Batch& batch, std::string_view column) {
  std::vector<std::string> out;
  for (std::size_t r = 0; r < batch.rows(); ++r) out.push_back(cell(batch, r, column));
  return out;
}

}  // namespace weir::test
