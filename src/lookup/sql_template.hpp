// SqlTemplate — SQL with `{{record.field}}` references, compiled to placeholders.
//
//   SELECT name, tier FROM customers WHERE id = {{record.customer_id}}
//   → PostgreSQL: … WHERE id = $1     MySQL: … WHERE id = ?     SQLite: … WHERE id = ?1
//     and the field list [record.customer_id], bound in that order.
//
// Values are always bound parameters, never spliced into the SQL text, so a value like
// `'; DROP TABLE customers; --` is only ever compared as data.
//
// Templates are recognised only in SQL code: inside string literals, quoted identifiers and
// comments `{{` is ordinary text, since a placeholder inside a literal is no parameter at
// all. A literal that holds `{{record.` is refused, though, because it almost always means
// `'%{{record.x}}%'` — which has to be written `'%' || {{record.x}} || '%'` (or CONCAT).
// Parsing needs no connection; render() takes the dialect once connected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/field_path.hpp"
#include "db/common/sql_lexer.hpp"
#include "weir/db/dialect.hpp"

namespace weir::lookup {

// How templates are read: in the syntax every database shares (parsing needs no
// connection), with `{{…}}` as tokens.
inline constexpr db::sql::LexOptions kTemplateLex{.templates = true};

class SqlTemplate {
 public:
  // `name` says where the template was written (a YAML path) in errors. Throws
  // Error{config} for an unclosed `{{`, a root other than `record`, an empty path, or a
  // template inside a string literal.
  static SqlTemplate parse(std::string_view sql, std::string_view name);

  const std::string& sql() const noexcept { return sql_; }
  const std::string& name() const noexcept { return name_; }
  // One per `{{…}}`, in order of appearance: the parameters to bind, in that order.
  const std::vector<FieldPath>& fields() const noexcept { return fields_; }
  // The SQL around the templates: pieces()[i] comes before fields()[i]; one piece more
  // than fields, the last trailing.
  const std::vector<std::string>& pieces() const noexcept { return pieces_; }

  // The SQL with the dialect's placeholders 1…n in place of the templates.
  std::string render(const db::Dialect& dialect) const;

 private:
  std::string sql_;
  std::string name_;
  std::vector<FieldPath> fields_;
  std::vector<std::string> pieces_;
};

}  // namespace weir::lookup
