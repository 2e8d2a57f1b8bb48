// The sql_call filter enriching RECORDS records against a LOOKUP-row table on PostgreSQL
// (bench/enrich.sh runs it on a harness server), three ways through the real module:
//
//   batched    cache off, `batch: true`: one `id IN (…)` query per chunk of a batch's keys
//   per-record cache off, `batch: false`: one query per distinct key of a batch — about one
//              per record here; timed on a SAMPLE of the records and extrapolated
//   cached     `batch: true` with a cache holding every key; the cold misses of the first
//              batches are included in the time
//
// Records arrive in batches of BATCH (sql_poll's default page size), each with a customer
// id drawn uniformly from the table's keys. Prints records/s for each and the ratios.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/config_spec.hpp"
#include "modules/filter/sql_call.hpp"
#include "pipeline/module.hpp"
#include "weir/db/driver.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using weir::Batch;
using weir::Value;

struct NoDeadLetters final : weir::pipeline::DeadLetterSink {
  void add(weir::pipeline::DeadLetter letter) override {
    std::fprintf(stderr, "dead letter: %s\n", letter.message.c_str());
    std::exit(1);
  }
};

std::unique_ptr<weir::pipeline::Filter> make_filter(const weir::db::Connections& connections, const std::string& yaml) {
  for (const auto& m : weir::pipeline::filter_modules()) {
    if (m.name != "sql_call") continue;
    YAML::Node node = YAML::Load(yaml);
    weir::config::Diagnostics d("bench");
    weir::config::validate(node, m.spec(), "bench.sql_call", d);
    d.throw_if_any();
    weir::pipeline::ModuleContext context(connections, "bench");
    auto filter = m.make(weir::config::Section(node, m.spec(), "bench.sql_call"), context);
    filter->open(weir::pipeline::RunOptions{});
    return filter;
  }
  std::fprintf(stderr, "no sql_call module\n");
  std::exit(1);
}

std::vector<Batch> make_batches(std::int64_t records, std::int64_t keys, std::size_t batch_rows) {
  weir::Column order{"order_id", weir::Type::int64, "bigint", false};
  weir::Column customer{"customer_id", weir::Type::int64, "bigint", false};
  auto schema = std::make_shared<const weir::Schema>(std::vector<weir::Column>{order, customer});
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> pick(1, keys);
  std::vector<Batch> batches;
  for (std::int64_t i = 0; i < records; ++i) {
    if (batches.empty() || batches.back().rows() == batch_rows) batches.emplace_back(schema);
    std::span<Value> row = batches.back().append_row();
    row[0] = Value(i);
    row[1] = Value(pick(rng));
  }
  return batches;
}

struct Run {
  std::int64_t records = 0;
  double seconds = 0;
  std::uint64_t queries = 0;
  weir::lookup::LookupStats stats;
  double per_second() const { return static_cast<double>(records) / seconds; }
};

// Runs the first `records` records of `batches` through `filter`, checking every enriched
// name as it goes.
Run run(weir::pipeline::Filter& filter, const std::vector<Batch>& batches, std::int64_t records) {
  NoDeadLetters dead;
  Batch out;
  Run r;
  auto start = Clock::now();
  for (const Batch& in : batches) {
    if (r.records >= records) break;
    filter.process(in, out, dead);
    r.records += static_cast<std::int64_t>(out.rows());
    const Value& name = out.at(out.rows() - 1, 2);
    if (name.as_text() != "customer " + std::to_string(out.at(out.rows() - 1, 1).as_int())) {
      std::fprintf(stderr, "wrong enrichment: %s\n", name.to_text().c_str());
      std::exit(1);
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.stats = weir::modules::sql_call_stats(filter).at(0);
  r.queries = r.stats.queries;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s POSTGRES_URL RECORDS LOOKUP_ROWS PER_RECORD_SAMPLE BATCH\n", argv[0]);
    return 2;
  }
  const std::int64_t records = std::atoll(argv[2]), keys = std::atoll(argv[3]), sample = std::atoll(argv[4]);
  const auto batch_rows = static_cast<std::size_t>(std::atoll(argv[5]));
  weir::db::ConnectionConfig config;
  config.name = "bench";
  config.url = weir::Url::parse(argv[1]);
  auto admin = weir::db::connect(config);
  admin->execute_script(
      "SET client_min_messages = warning;"
      "DROP TABLE IF EXISTS weir_bench_customers;"
      "CREATE TABLE weir_bench_customers (id bigint PRIMARY KEY, name text NOT NULL, tier text NOT NULL);"
      "INSERT INTO weir_bench_customers SELECT g, 'customer ' || g, (ARRAY['gold','silver','bronze'])[g % 3 + 1] "
      "FROM generate_series(1, " + std::to_string(keys) + ") g;"
      "ANALYZE weir_bench_customers;");
  weir::db::Connections connections{{"bench", config}};
  std::vector<Batch> batches = make_batches(records, keys, batch_rows);
  const std::string query =
      "connection: bench\nqueries:\n  - sql: \"SELECT name, tier FROM weir_bench_customers WHERE id = "
      "{{record.customer_id}}\"\n";

  auto batched_filter = make_filter(connections, query + "    batch: true\n");
  Run batched = run(*batched_filter, batches, records);
  auto single_filter = make_filter(connections, query + "    batch: false\n");
  Run single = run(*single_filter, batches, sample);
  auto cached_filter = make_filter(connections, query + "    cache: { ttl: 10m, max_entries: 100000 }\n");
  Run cached = run(*cached_filter, batches, records);
  admin->execute_script("DROP TABLE weir_bench_customers;");

  std::printf("enrich: %lld records in batches of %zu, lookup table of %lld rows on PostgreSQL\n",
              static_cast<long long>(records), batch_rows, static_cast<long long>(keys));
  std::printf("enrich batched, cache off: %lld records in %.2f s = %.0f records/s (%llu IN queries)\n",
              static_cast<long long>(batched.records), batched.seconds, batched.per_second(),
              static_cast<unsigned long long>(batched.queries));
  std::printf("enrich per-record, cache off: sample of %lld records in %.2f s = %.0f records/s (%llu queries, %.2f per "
              "record); extrapolated to %lld records: %.1f s\n",
              static_cast<long long>(single.records), single.seconds, single.per_second(),
              static_cast<unsigned long long>(single.queries),
              static_cast<double>(single.queries) / static_cast<double>(single.records),
              static_cast<long long>(records), static_cast<double>(records) / single.per_second());
  std::printf("enrich batched/per-record throughput ratio %.1f (goal >= 10)\n",
              batched.per_second() / single.per_second());
  std::printf("enrich cached: %lld records in %.2f s = %.0f records/s (distinct keys per batch: %llu cache hits, %llu misses; "
              "%llu IN queries) "
              "(goal >= 500000)\n",
              static_cast<long long>(cached.records), cached.seconds, cached.per_second(),
              static_cast<unsigned long long>(cached.stats.cache.hits),
              static_cast<unsigned long long>(cached.stats.cache.misses),
              static_cast<unsigned long long>(cached.queries));
  return 0;
}
