// The `retry:` option shared by sql_poll, sql_call and sql_write: its defaults, and bad values
// named by YAML path.
#include <gtest/gtest.h>

#include "modules/retry_option.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

using std::chrono::milliseconds;

RetryPolicy read(const std::string& yaml) {
  static const config::Spec spec{"sql_poll", "", {retry_field()}};
  YAML::Node node = YAML::Load(yaml);
  config::Diagnostics d("test.yaml");
  config::validate(node, spec, "pipelines.p.input.sql_poll", d);
  d.throw_if_any();
  return read_retry_policy(config::Section(node, spec, "pipelines.p.input.sql_poll"));
}

std::string error_of(const std::string& yaml) {
  try {
    read(yaml);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(RetryOption, DefaultsToHalfAMinuteWithoutACountLimit) {
  RetryPolicy p = read("{}");
  EXPECT_EQ(p.max_time, milliseconds(30'000));
  EXPECT_EQ(p.max_attempts, 0);
  EXPECT_EQ(p.max_delay, milliseconds(5'000));
  EXPECT_TRUE(p.allows_another(100, milliseconds(29'999)));
  EXPECT_FALSE(p.allows_another(2, milliseconds(30'000)));
}

TEST(RetryOption, ReadsMaxTimeAndAttempts) {
  RetryPolicy p = read("{ retry: { max_time: 2m, attempts: 10 } }");
  EXPECT_EQ(p.max_time, milliseconds(120'000));
  EXPECT_EQ(p.max_attempts, 10);
  EXPECT_FALSE(read("{ retry: { attempts: 1 } }").allows_another(1, milliseconds(0))) << "attempts: 1 never retries";
}

TEST(RetryOption, BadValuesNameTheirPath) {
  EXPECT_EQ(error_of("{ retry: { attempts: -1 } }"),
            "test.yaml:1:22: pipelines.p.input.sql_poll.retry.attempts: must be at least 0 and at most 1000000 (got -1)");
  EXPECT_EQ(error_of("{ retry: { max_time: 0s } }"),
            "pipelines.p.input.sql_poll.retry: `max_time: 0s` needs `attempts:` (else it would retry forever)");
  EXPECT_NE(error_of("{ retry: { max_tme: 1m } }").find("unknown option `max_tme` for retry (did you mean `max_time`?)"),
            std::string::npos)
      << error_of("{ retry: { max_tme: 1m } }");
}

}  // namespace
}  // namespace weir::modules
