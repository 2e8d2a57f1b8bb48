// Input positions as persisted text: the values of an incremental cursor's columns for the
// last row that reached the output, with their types, so a restart binds exactly the same
// values (a timestamp stays a timestamp, a decimal stays exact).
//
//   [["timestamp","2024-03-01 10:00:00.250000"],["int64","42"]]
//
// An array's text is its items in this same form, as one JSON string (so NULL items, nested
// arrays and any quoting come back exactly): text[] {"a,b",NULL} is
//
//   ["array","[[\"text\",\"a,b\"],[\"null\",\"\"]]"]
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/value.hpp"

namespace weir::pipeline {

std::string encode_position(std::span<const Value> values);
// Throws Error{config} naming what is wrong when `text` was not made by encode_position.
std::vector<Value> decode_position(std::string_view text);

// The type `name` names (as to_string(Type) prints it); nullopt when none does.
std::optional<Type> type_named(std::string_view name);

// `text` read as a value of `type` (the canonical text of Value::to_text); nullopt when it
// is not one.
std::optional<Value> value_from_text(Type type, std::string_view text);

}  // namespace weir::pipeline
