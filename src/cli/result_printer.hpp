// Printing a streaming result as it arrives: an aligned table, CSV, a JSON array or
// newline-delimited JSON. Each batch is written as soon as the cursor yields it.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "weir/batch.hpp"

namespace weir::cli {

enum class Format { table, csv, json, ndjson };

// Throws Error{config} for an unknown name.
Format parse_format(std::string_view name);

class ResultPrinter {
 public:
  virtual ~ResultPrinter() = default;
  virtual void batch(const Batch& batch) = 0;
  // Ends the output; `rows` is the total count (the table format prints it).
  virtual void finish(std::uint64_t rows) = 0;
};

// `null_text` is how the table format shows NULL (the others have their own notation).
std::unique_ptr<ResultPrinter> make_printer(Format format, std::ostream& out, std::string null_text = {});

}  // namespace weir::cli
