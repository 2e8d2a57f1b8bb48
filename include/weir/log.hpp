// Logging to stderr. Every line goes through redact() before it is written.
#pragma once

#include <string_view>

namespace weir::log {

enum class Level { debug, info, warn, error, off };

void set_level(Level level);
Level level() noexcept;
// Parses "debug", "info", "warn", "error", "off"; throws Error{config} otherwise.
Level parse_level(std::string_view name);

void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void warn(std::string_view m) { write(Level::warn, m); }
inline void error(std::string_view m) { write(Level::error, m); }

}  // namespace weir::log
