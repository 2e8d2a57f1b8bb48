// Invariants about decoded values, shared by the decoder targets.
#pragma once

#include <cmath>

#include "weir/value.hpp"

namespace weir::fuzz {

// Whether `v` holds a NaN anywhere (a NaN never equals itself, so round trips skip it).
inline bool has_nan(const Value& v) {
  if (const double* d = v.get_if<double>()) return std::isnan(*d);
  if (const Array* a = v.get_if<Array>())
    for (const Value& item : a->items)
      if (has_nan(item)) return true;
  return false;
}

// Every text form of `v` can be produced: what outputs, logs and dead letters do with it.
inline void render(const Value& v) {
  std::string text = v.to_text();
  std::string json;
  v.append_json(json);
}

}  // namespace weir::fuzz
