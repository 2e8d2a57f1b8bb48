// Text forms of the temporal and uuid value types: canonical formatting and lenient parsing.
//
// Formats are ISO-8601 shaped and what PostgreSQL, MariaDB and SQLite all accept as input:
// "2024-05-01", "13:45:00.25", "2024-05-01 13:45:00.25", "2024-05-01 13:45:00.25+00:00".
// Parsers return std::nullopt for text that is not such a value; they never throw.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "weir/value.hpp"

namespace weir {

std::string format_date(Date d);
std::string format_time(Time t);
std::string format_timestamp(Timestamp ts);
std::string format_timestamptz(TimestampTz ts);
// The current time (system clock) as a TimestampTz.
TimestampTz timestamptz_now() noexcept;  // always UTC, "+00:00"
std::string format_interval(const Interval& iv);  // ISO-8601 duration, e.g. "P1Y2M3DT4H5M6.5S"
std::string format_uuid(const Uuid& u);
// The same text appended to `out`: a hot loop that reuses one buffer allocates nothing.
void append_date(std::string& out, Date d);
void append_time(std::string& out, Time t);
void append_timestamp(std::string& out, Timestamp ts);
void append_timestamptz(std::string& out, TimestampTz ts);
void append_uuid(std::string& out, const Uuid& u);

std::optional<Date> parse_date(std::string_view text);
std::optional<Time> parse_time(std::string_view text);
// Accepts a date alone, ' ' or 'T' before the time, and ignores a trailing zone.
std::optional<Timestamp> parse_timestamp(std::string_view text);
// A missing zone means UTC; "Z", "+hh", "+hhmm" and "+hh:mm" are applied.
std::optional<TimestampTz> parse_timestamptz(std::string_view text);
std::optional<Uuid> parse_uuid(std::string_view text);
// ISO-8601 durations as format_interval writes them and PostgreSQL prints them
// (IntervalStyle iso_8601): "P1Y2M3DT4H5M6.5S", "PT-1H-30M", "P0D".
std::optional<Interval> parse_interval(std::string_view text);

// Days since 1970-01-01 for a proleptic Gregorian date, and back.
std::int32_t days_from_civil(int year, unsigned month, unsigned day) noexcept;
void civil_from_days(std::int32_t days, int& year, unsigned& month, unsigned& day) noexcept;

}  // namespace weir
