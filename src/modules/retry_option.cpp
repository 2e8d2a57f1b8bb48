#include "modules/retry_option.hpp"

#include <fmt/format.h>

#include "weir/error.hpp"

namespace weir::modules {
namespace {

using config::Field;

const config::Spec& retry_spec() {
  static const config::Spec s{
      "retry",
      "How transient failures (the server unreachable or restarting, a dropped connection, a deadlock) are "
      "retried, with exponential backoff up to 5 s between attempts; the error stands once either limit is "
      "reached.",
      {
          Field{.name = "max_time", .shapes = config::kDuration, .default_value = "30s",
                .description = "No attempt starts later than this after the first; 0s: only `attempts` limits.",
                .example = "2m"},
          Field{.name = "attempts", .shapes = config::kInteger, .default_value = "0",
                .description = "Total attempts, the first included; 0: as many as `max_time` allows. "
                               "`attempts: 1` never retries.",
                .example = "10", .minimum = 0, .maximum = 1'000'000},
      }};
  return s;
}

}  // namespace

const config::Field& retry_field() {
  static const Field f{.name = "retry", .shapes = config::kObject, .description = retry_spec().description,
                       .example = "{ max_time: 2m }", .nested = &retry_spec()};
  return f;
}

RetryPolicy read_retry_policy(const config::Section& section) {
  YAML::Node node = section.has("retry") ? section.node("retry") : YAML::Node(YAML::NodeType::Map);
  config::Section retry(node, retry_spec(), section.path_of("retry"));
  RetryPolicy policy{.max_attempts = 0,
                     .initial_delay = std::chrono::milliseconds(100),
                     .max_delay = std::chrono::milliseconds(5000),
                     .multiplier = 2.0,
                     .max_time = retry.duration("max_time")};
  policy.max_attempts = static_cast<int>(retry.integer("attempts"));  // its range: see retry_spec()
  if (policy.max_attempts == 0 && policy.max_time.count() <= 0)
    throw Error(ErrorKind::config,
                fmt::format("{}: `max_time: 0s` needs `attempts:` (else it would retry forever)", retry.path()));
  return policy;
}

RetryPolicy default_retry_policy() {
  static const RetryPolicy policy = [] {
    YAML::Node none(YAML::NodeType::Map);
    return read_retry_policy(config::Section(none, retry_spec(), "retry"));
  }();
  return policy;
}

}  // namespace weir::modules
