#include "query/pushdown.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "db/sqlite/decimal_sum.hpp"
#include "query/remote_traits.hpp"
#include "weir/temporal.hpp"

namespace weir::query {
namespace {

bool is_comparison(Op op) { return op == Op::eq || op == Op::ne || op == Op::lt || op == Op::le || op == Op::gt || op == Op::ge; }
bool is_range(Op op) { return op == Op::lt || op == Op::le || op == Op::gt || op == Op::ge; }
bool is_temporal(Type t) { return t == Type::date || t == Type::time || t == Type::timestamp || t == Type::timestamptz; }

// Types whose values SQLite holds as the remote compares them for equality (a join key).
bool equality_type(Type t) {
  switch (t) {
    case Type::boolean:
    case Type::int64:
    case Type::float64:
    case Type::decimal:
    case Type::text:
    case Type::uuid: return true;
    default: return is_temporal(t);
  }
}

bool is_number(RhsKind k) { return k == RhsKind::integer || k == RhsKind::real; }

std::optional<std::int64_t> parse_int(const std::string& text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// The temporal value `text` denotes, only when `text` is exactly how SQLite holds it (the
// canonical form weir writes): then the text order SQLite compares by is the time order.
std::optional<Value> canonical_temporal(Type type, const std::string& text) {
  auto check = [&](auto parsed, auto format) -> std::optional<Value> {
    if (!parsed || format(*parsed) != text) return std::nullopt;
    return Value(*parsed);
  };
  switch (type) {
    case Type::date: return check(parse_date(text), format_date);
    case Type::time: return check(parse_time(text), format_time);
    case Type::timestamp: return check(parse_timestamp(text), format_timestamp);
    case Type::timestamptz: return check(parse_timestamptz(text), format_timestamptz);
    default: return std::nullopt;
  }
}

Pushed decide_known(const Column& column, Op op, const Rhs& rhs, const RemoteTraits& remote) {
  switch (column.type) {
    case Type::int64: return rhs.kind == RhsKind::integer ? Pushed::exact : Pushed::no;
    case Type::boolean:
      return rhs.kind == RhsKind::integer && (rhs.text == "0" || rhs.text == "1") && (op == Op::eq || op == Op::ne)
                 ? Pushed::exact
                 : Pushed::no;
    case Type::decimal:
      if (is_number(rhs.kind) || (rhs.kind == RhsKind::text && db::sqlite::ExactDecimal::parse(rhs.text)))
        return Pushed::filter;
      return Pushed::no;
    case Type::float64: return is_number(rhs.kind) && op != Op::ne ? Pushed::filter : Pushed::no;
    case Type::text:
      if (rhs.kind != RhsKind::text) return Pushed::no;
      if (op == Op::eq) return Pushed::filter;
      return is_range(op) && remote.byte_order_text ? Pushed::filter : Pushed::no;
    case Type::uuid:
      if (rhs.kind != RhsKind::text) return Pushed::no;
      // MariaDB's UUID type orders its groups otherwise: ranges only where uuids order as bytes.
      if (auto u = parse_uuid(rhs.text); u && format_uuid(*u) == rhs.text && (op == Op::eq || remote.byte_order_text))
        return Pushed::exact;
      return op == Op::eq ? Pushed::filter : Pushed::no;
    default:
      if (is_temporal(column.type) && rhs.kind == RhsKind::text && canonical_temporal(column.type, rhs.text))
        return Pushed::exact;
      return Pushed::no;
  }
}

}  // namespace

Pushed decide(const Column& column, Op op, const Rhs& rhs, const RemoteTraits& remote) {
  if (op == Op::is_null || op == Op::is_not_null) return Pushed::exact;
  if (op == Op::in) return equality_type(column.type) ? Pushed::filter : Pushed::no;
  if (op == Op::like)
    return column.type == Type::text && rhs.kind == RhsKind::text && remote.like ? Pushed::filter : Pushed::no;
  if (!is_comparison(op)) return Pushed::no;
  if (rhs.kind == RhsKind::unknown) return op == Op::eq && equality_type(column.type) ? Pushed::filter : Pushed::no;
  if (rhs.kind == RhsKind::null || rhs.kind == RhsKind::blob) return Pushed::no;
  return decide_known(column, op, rhs, remote);
}

namespace {

// Whether the remote orders the column's values as SQLite orders what it holds of them.
bool orders_alike(const Column& column, const RemoteTraits& remote) {
  switch (column.type) {
    case Type::int64:
    case Type::float64:
    case Type::boolean: return true;
    case Type::decimal: return remote.typed_order;
    case Type::uuid:
    case Type::text: return remote.byte_order_text;
    default: return is_temporal(column.type) && remote.typed_order;
  }
}

}  // namespace

ScanPlan plan_scan(const std::vector<Column>& columns, const std::vector<Offered>& offered, std::uint64_t used,
                   const std::vector<OrderTerm>& order, std::optional<std::int64_t> row_estimate,
                   const RemoteTraits& remote, int unique_column) {
  ScanPlan plan;
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (used & (std::uint64_t{1} << std::min<std::size_t>(i, 63))) plan.columns.push_back(static_cast<int>(i));
  double rows = row_estimate && *row_estimate > 0 ? static_cast<double>(*row_estimate) : 1000000.0;
  bool all_exact = true;
  std::optional<int> limit_at, offset_at;
  for (std::size_t i = 0; i < offered.size(); ++i) {
    const Offered& o = offered[i];
    if (o.op == Op::limit || o.op == Op::offset) {
      (o.op == Op::limit ? limit_at : offset_at) = static_cast<int>(i);
      continue;
    }
    bool valid_column = o.column >= 0 && static_cast<std::size_t>(o.column) < columns.size();
    Pushed p = o.usable && valid_column ? decide(columns[o.column], o.op, o.rhs, remote) : Pushed::no;
    if (p != Pushed::exact) all_exact = false;
    if (p == Pushed::no) continue;
    bool key = o.op == Op::eq && o.rhs.kind == RhsKind::unknown;
    plan.terms.push_back({static_cast<int>(i), o.column, o.op, p == Pushed::exact, key});
    if (o.op == Op::eq && o.column == unique_column) plan.unique = true;
    rows /= o.op == Op::eq || o.op == Op::is_null ? 10.0 : o.op == Op::in ? 5.0 : 3.0;
  }
  bool order_sent = !order.empty() && std::all_of(order.begin(), order.end(), [&](const OrderTerm& o) {
    return o.column >= 0 && static_cast<std::size_t>(o.column) < columns.size() && orders_alike(columns[o.column], remote);
  });
  if (order_sent) plan.order = order;
  if (limit_at && all_exact && (order.empty() || order_sent)) {
    plan.limit = static_cast<int>(plan.terms.size()) + 1;
    if (offset_at) plan.offset = *plan.limit + 1;
  }
  plan.estimated_rows = plan.unique ? 1.0 : std::max(rows, 1.0);
  return plan;
}

std::string_view to_string(Op op) noexcept {
  switch (op) {
    case Op::eq: return "=";
    case Op::ne: return "<>";
    case Op::lt: return "<";
    case Op::le: return "<=";
    case Op::gt: return ">";
    case Op::ge: return ">=";
    case Op::is_null: return "IS NULL";
    case Op::is_not_null: return "IS NOT NULL";
    case Op::in: return "IN";
    case Op::like: return "LIKE";
    case Op::limit: return "LIMIT";
    case Op::offset: return "OFFSET";
    case Op::other: break;
  }
  return "?";
}

std::string describe(const ScanPlan& plan, const std::vector<Column>& columns) {
  std::string out = "columns ";
  for (std::size_t i = 0; i < plan.columns.size(); ++i) out += (i ? ", " : "") + columns[plan.columns[i]].name;
  if (plan.columns.empty()) out += "none";
  for (const PushedTerm& t : plan.terms) {
    bool operand = t.op != Op::is_null && t.op != Op::is_not_null;
    out += fmt::format("; {} {}{}{}", columns[t.column].name, to_string(t.op), operand ? (t.op == Op::in ? " (?…)" : " ?") : "",
                       t.exact ? "" : " rechecked");
  }
  for (std::size_t i = 0; i < plan.order.size(); ++i)
    out += fmt::format("{}{}{}", i ? ", " : "; ORDER BY ", columns[plan.order[i].column].name, plan.order[i].desc ? " DESC" : "");
  if (plan.limit) out += plan.offset ? "; LIMIT ? + OFFSET ?" : "; LIMIT ?";
  return out;
}

std::optional<Value> to_column_value(const Column& column, RhsKind kind, const std::string& text) {
  switch (column.type) {
    case Type::int64:
      if (auto v = parse_int(text); v && kind == RhsKind::integer) return Value(*v);
      return std::nullopt;
    case Type::boolean:
      if (kind == RhsKind::integer && (text == "0" || text == "1")) return Value(text == "1");
      return std::nullopt;
    case Type::float64:
      if (!is_number(kind)) return std::nullopt;
      return Value(std::strtod(text.c_str(), nullptr));
    case Type::decimal:
      if (!is_number(kind) && kind != RhsKind::text) return std::nullopt;
      if (!db::sqlite::ExactDecimal::parse(text) || text.find_first_of("eEnN") != std::string::npos) return std::nullopt;
      return Value(Decimal{text});
    case Type::text: return kind == RhsKind::text ? std::optional<Value>(Value(text)) : std::nullopt;
    case Type::uuid:
      if (auto u = parse_uuid(text); u && kind == RhsKind::text) return Value(*u);
      return std::nullopt;
    default:
      if (is_temporal(column.type) && kind == RhsKind::text) return canonical_temporal(column.type, text);
      return std::nullopt;
  }
}

namespace {

struct WhereWriter {
  const db::Dialect& dialect;
  RemoteQuery& out;
  std::string where;

  std::string bind(Value v) {
    out.params.push_back(std::move(v));
    return dialect.placeholder(out.params.size());
  }
  void add(const std::string& condition) { where += (where.empty() ? " WHERE " : " AND ") + condition; }
};

// The column as the comparison reads it: text in byte order where the remote can.
std::string compared(const db::Dialect& dialect, const Column& column, Op op) {
  std::string name = dialect.quote_identifier(column.name);
  std::string_view collation = traits_of(dialect).byte_order_collation;
  if (column.type == Type::text && is_range(op) && !collation.empty())
    name += fmt::format(" COLLATE {}", dialect.quote_identifier(collation));
  return name;
}

void write_term(WhereWriter& w, const Column& column, const PushedTerm& term, const TermArgument& argument) {
  std::string name = compared(w.dialect, column, term.op);
  if (term.op == Op::is_null || term.op == Op::is_not_null) return w.add(fmt::format("{} {}", name, to_string(term.op)));
  if (term.op == Op::in) {
    // An empty list keeps no row; a value that is not one of the column's type is left to
    // SQLite, and with it the whole list (the term is a filter).
    if (argument.values.empty()) return w.add("1 = 0");
    for (const auto& v : argument.values)
      if (!v) return;
    if (traits_of(w.dialect).array_parameter) {
      Array items;
      for (const auto& v : argument.values) items.items.push_back(*v);
      return w.add(fmt::format("{} = ANY({})", name, w.bind(Value(std::move(items)))));
    }
    std::string list;
    for (const auto& v : argument.values) list += (list.empty() ? "" : ", ") + w.bind(*v);
    return w.add(fmt::format("{} IN ({})", name, list));
  }
  if (argument.values.empty() || !argument.values.front()) return;
  if (term.op == Op::like) {
    std::string_view like = traits_of(w.dialect).like_operator;
    return w.add(fmt::format("{} {} {}{}", name, like, w.bind(*argument.values.front()),
                             like == "ILIKE" ? " ESCAPE ''" : ""));
  }
  w.add(fmt::format("{} {} {}", name, to_string(term.op), w.bind(*argument.values.front())));
}

// ORDER BY as SQLite would sort: text in byte order, NULLs first ascending, last descending.
std::string order_by(const db::Dialect& dialect, const std::vector<Column>& columns, const std::vector<OrderTerm>& order) {
  const DatabaseTraits& traits = traits_of(dialect);
  std::string out;
  for (const OrderTerm& o : order) {
    const Column& column = columns[o.column];
    out += out.empty() ? " ORDER BY " : ", ";
    out += dialect.quote_identifier(column.name);
    if (column.type == Type::text && !traits.byte_order_collation.empty())
      out += fmt::format(" COLLATE {}", dialect.quote_identifier(traits.byte_order_collation));
    if (o.desc) out += " DESC";
    if (traits.nulls_placement) out += o.desc ? " NULLS LAST" : " NULLS FIRST";
  }
  return out;
}

}  // namespace

RemoteQuery build_remote_query(const db::Dialect& dialect, const db::TableRef& table,
                               const std::vector<Column>& columns, const ScanPlan& plan,
                               const std::vector<TermArgument>& arguments, std::optional<std::int64_t> limit,
                               std::optional<std::int64_t> offset) {
  RemoteQuery q;
  std::string list;
  for (int c : plan.columns) list += (list.empty() ? "" : ", ") + dialect.quote_identifier(columns[c].name);
  // No column read (count(*)): one constant per row.
  if (list.empty()) list = "1";
  WhereWriter w{dialect, q, {}};
  for (std::size_t i = 0; i < plan.terms.size() && i < arguments.size(); ++i)
    write_term(w, columns[plan.terms[i].column], plan.terms[i], arguments[i]);
  q.sql = fmt::format("SELECT {} FROM {}{}{}", list, dialect.quote_table(table), w.where,
                      order_by(dialect, columns, plan.order));
  if (limit && *limit >= 0) {
    std::int64_t skip = offset && *offset > 0 ? *offset : 0;
    std::int64_t rows = *limit > INT64_MAX - skip ? INT64_MAX : *limit + skip;
    q.sql += " LIMIT " + w.bind(Value(rows));
  }
  return q;
}

}  // namespace weir::query
