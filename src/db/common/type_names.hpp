// The native column type each driver creates for a logical type: a table per driver
// (types.cpp), looked up here.
#pragma once

#include <span>
#include <string_view>

#include "weir/value.hpp"

namespace weir::db {

struct TypeName {
  Type type;
  std::string_view name;
};

// The name `table` gives `type`, or `fallback` when it has none.
constexpr std::string_view type_name(std::span<const TypeName> table, Type type, std::string_view fallback) noexcept {
  for (const TypeName& n : table)
    if (n.type == type) return n.name;
  return fallback;
}

}  // namespace weir::db
