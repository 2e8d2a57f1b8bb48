#include "sync/verify.hpp"

namespace weir::sync {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

void mix(std::uint64_t& hash, std::string_view bytes) {
  for (unsigned char b : bytes) {
    hash ^= b;
    hash *= kFnvPrime;
  }
}

std::uint64_t row_hash(const Batch& batch, std::size_t row, std::string& scratch) {
  std::uint64_t hash = kFnvOffset;
  for (std::size_t c = 0; c < batch.width(); ++c) {
    const Value& v = batch.at(row, c);
    scratch.clear();
    if (v.is_null()) scratch = "\x01null";
    else if (const auto* instant = v.get_if<TimestampTz>()) Value(Timestamp{instant->micros}).append_json(scratch);
    else v.append_json(scratch);
    scratch.push_back('\0');
    mix(hash, scratch);
  }
  return hash;
}

}  // namespace

TableDigest digest(db::Connection& connection, const std::string& sql) {
  TableDigest d;
  auto cursor = connection.query(sql);
  Batch batch;
  std::string scratch;
  while (cursor->next(batch, 10000)) {
    d.rows += batch.rows();
    for (std::size_t r = 0; r < batch.rows(); ++r) d.checksum += row_hash(batch, r, scratch);
  }
  return d;
}

}  // namespace weir::sync
