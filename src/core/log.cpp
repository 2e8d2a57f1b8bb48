#include "weir/log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "weir/error.hpp"
#include "weir/secret.hpp"

namespace weir::log {
namespace {

std::atomic<Level> g_level{Level::info};

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_mt("weir");
    // ISO 8601 with the UTC offset, so lines from hosts in different zones compare.
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
    l->set_level(spdlog::level::trace);
    return l;
  }();
  return *instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

void set_level(Level level) { g_level = level; }
Level level() noexcept { return g_level; }

Level parse_level(std::string_view name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn" || name == "warning") return Level::warn;
  if (name == "error") return Level::error;
  if (name == "off") return Level::off;
  throw Error(ErrorKind::config,
              fmt::format("unknown log level `{}` (use debug, info, warn, error or off)", name));
}

void write(Level lvl, std::string_view message) {
  if (lvl < g_level.load() || lvl == Level::off) return;
  logger().log(to_spdlog(lvl), "{}", redact(message));
}

}  // namespace weir::log
