// sql_poll — reads the rows of a SQL query, streamed in pages.
//
// This is the run-once bulk mode: the query runs once and every row flows downstream with
// memory bounded by page_size. Incremental cursors and cron schedules build on it.
#include <fmt/format.h>

#include "modules/builtin.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

using config::Field;

const config::Spec& spec() {
  static const config::Spec s{
      "sql_poll",
      "Reads rows from a SQL query on a connection, streamed in pages of page_size rows.",
      {
          Field{.name = "connection", .required = true,
                .description = "Name of the connection to read from (see `connections:`).",
                .example = "shop"},
          Field{.name = "query", .required = true,
                .description = "The SELECT to run. Values are never spliced into it.",
                .example = "\"SELECT id, name, total FROM orders ORDER BY id\""},
          Field{.name = "page_size", .shapes = config::kInteger, .default_value = "5000",
                .description = "Rows fetched and passed downstream at a time; bounds memory.",
                .example = "10000"},
      }};
  return s;
}

class SqlPoll final : public pipeline::Input {
 public:
  SqlPoll(const config::Section& section, const pipeline::ModuleContext& context)
      : connection_config_(context.connection(section, "connection")),
        query_(section.string("query")),
        page_size_(static_cast<std::size_t>(section.integer("page_size"))) {
    if (page_size_ == 0 || page_size_ > 1'000'000)
      throw Error(ErrorKind::config,
                  fmt::format("{}: must be between 1 and 1000000", section.path_of("page_size")));
  }

  void open() override {
    connection_ = db::connect(connection_config_);
    try {
      cursor_ = connection_->query(query_);
    } catch (Error& e) {
      throw e.add_context(fmt::format("sql_poll query on {}", connection_config_.describe()));
    }
  }

  bool read(Batch& out) override { return cursor_->next(out, page_size_); }

 private:
  db::ConnectionConfig connection_config_;
  std::string query_;
  std::size_t page_size_;
  std::unique_ptr<db::Connection> connection_;
  std::unique_ptr<db::Cursor> cursor_;
};

std::unique_ptr<pipeline::Input> make(const config::Section& section, const pipeline::ModuleContext& context) {
  return std::make_unique<SqlPoll>(section, context);
}

}  // namespace

pipeline::InputModule sql_poll_module() { return {"sql_poll", &spec, &make}; }

}  // namespace weir::modules
