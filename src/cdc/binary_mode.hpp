// Whether pgoutput may send values in binary form (START_REPLICATION … binary 'true').
//
// Binary is one switch for the whole stream: the server then sends every column whose type has
// a binary send function in that form. weir reads a value in binary only where it reads it
// exactly as its text form (db::postgres::BinaryCodec); a publication with a column of any
// other type (an enum, a domain, a type of an extension) streams in text, never approximated.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "weir/db/connection.hpp"

namespace weir::cdc {

enum class BinaryMode { automatic, on, off };

// The first column of the publication's tables whose type has no binary reader in weir, as
// "schema.table.column (type)"; nullopt when every column has one.
std::optional<std::string> column_without_binary_reader(db::Connection& sql, std::string_view publication);

}  // namespace weir::cdc
