// Bulk write through a driver's BulkWriter: the rows of a query, loaded into memory first
// (untimed, as the anchor reads a ready file), then written into a table in one transaction,
// in batches of BATCH rows — connect, BEGIN, write, COMMIT timed, the way `psql -c "\copy t
// FROM STDIN"` is timed from start to exit. bench/pg_copy.sh runs it against that anchor.
// Prints "ROWS SECONDS CPU_SECONDS" (CPU: this process, user + system, in the timed part); says
// "loaded" on stderr when the timed part starts (to attach a profiler to it).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace {
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s URL SOURCE_QUERY TARGET_TABLE BATCH_ROWS\n", argv[0]);
    return 2;
  }
  try {
    weir::db::ConnectionConfig config;
    config.url = weir::Url::parse(argv[1]);
    const auto batch_rows = static_cast<std::size_t>(std::atoll(argv[4]));
    std::vector<weir::Batch> batches;
    std::size_t rows = 0;
    std::vector<std::string> columns;
    {
      auto source = weir::db::connect(config);
      auto cursor = source->query(argv[2]);
      for (const weir::Column& c : *cursor->schema()) columns.push_back(c.name);
      for (weir::Batch b; cursor->next(b, batch_rows); b = weir::Batch()) {
        rows += b.rows();
        batches.push_back(std::move(b));
      }
    }

    std::fprintf(stderr, "loaded %zu rows\n", rows);
    double cpu_before = cpu_seconds();
    auto started = std::chrono::steady_clock::now();
    auto target = weir::db::connect(config);
    weir::db::Transaction tx(*target);
    auto writer = target->bulk_writer({weir::db::TableRef::parse(argv[3]), columns, weir::db::WriteMode::insert, {}});
    for (const weir::Batch& b : batches) writer->write(b);
    std::uint64_t written = writer->finish().written();
    writer.reset();
    tx.commit();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (written != rows) {
      std::fprintf(stderr, "wrote %llu of %zu rows\n", static_cast<unsigned long long>(written), rows);
      return 1;
    }
    std::printf("%zu %.3f %.3f\n", rows, seconds, cpu_seconds() - cpu_before);
    return 0;
  } catch (const weir::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
