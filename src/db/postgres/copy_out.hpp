// Reading COPY … TO STDOUT (FORMAT binary): which queries may run that way, and a
// bounds-checked reader of the stream, kept apart from the cursor that drives it.
//
// The stream (the server's copyto.c) is a header, then one tuple per CopyData message, then
// an end marker:
//
//   header  11 bytes "PGCOPY\n\377\r\n\0", int32 flags, int32 extension length + extension
//           (sent in front of the first tuple, in the same message)
//   tuple   int16 field count, then per field an int32 length (-1: NULL) and that many bytes
//   end     int16 -1
//
// Field bytes are each column type's binary form (binary_codec.hpp).
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weir::db::postgres {

// `sql` without trailing semicolons, ready for "COPY (…) TO STDOUT", when it is one SELECT,
// WITH, VALUES or TABLE statement; nullopt for anything else (DML, utility statements, two
// statements) or text the scan cannot follow (an unterminated quote or comment). Read with
// PostgreSQL's syntax by the shared lexer (db/common/sql_lexer.hpp): quotes, dollar quotes
// and nested comments are skipped, so a ';' or keyword inside them does not count.
std::optional<std::string_view> copyable_query(std::string_view sql);

class BinaryCopyReader {
 public:
  struct Field {
    const char* data;
    std::int32_t length;  // -1: NULL
    bool is_null() const noexcept { return length < 0; }
    std::string_view bytes() const noexcept { return {data, static_cast<std::size_t>(length)}; }
  };

  explicit BinaryCopyReader(std::size_t width) : fields_(width) {}

  // Reads one CopyData message: the header when it is the first, then one tuple into
  // fields() (valid while the message is), or the end marker. Returns false at the end
  // marker. Throws Error{internal} when the bytes are not a binary COPY stream of `width`
  // columns.
  bool read(std::string_view message);
  // The fields point into the message, so a temporary string would leave them dangling: a
  // std::string rvalue does not compile (lvalues and views still convert to the view above).
  template <class Temporary>
    requires std::same_as<Temporary, std::string>
  bool read(Temporary&& message) = delete;
  std::span<const Field> fields() const noexcept { return fields_; }

 private:
  std::vector<Field> fields_;
  bool header_read_ = false;
};

}  // namespace weir::db::postgres
