#include "lookup/lookup_cache.hpp"

#include <algorithm>
#include <functional>
#include <string_view>

#include "weir/error.hpp"

namespace weir::lookup {
namespace {

std::size_t combine(std::size_t seed, std::size_t h) noexcept {
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

struct HashVisitor {
  std::size_t operator()(std::monostate) const noexcept { return 0; }
  std::size_t operator()(bool b) const noexcept { return b; }
  std::size_t operator()(std::int64_t i) const noexcept { return std::hash<std::int64_t>{}(i); }
  // -0.0 == 0.0, so both must hash alike.
  std::size_t operator()(double d) const noexcept { return std::hash<double>{}(d == 0.0 ? 0.0 : d); }
  std::size_t operator()(const Decimal& d) const noexcept { return text(d.text); }
  std::size_t operator()(const std::string& s) const noexcept { return text(s); }
  std::size_t operator()(const Bytes& b) const noexcept { return text(b.data); }
  std::size_t operator()(Date d) const noexcept { return std::hash<std::int32_t>{}(d.days); }
  std::size_t operator()(Time t) const noexcept { return std::hash<std::int64_t>{}(t.micros); }
  std::size_t operator()(Timestamp t) const noexcept { return std::hash<std::int64_t>{}(t.micros); }
  std::size_t operator()(TimestampTz t) const noexcept { return std::hash<std::int64_t>{}(t.micros); }
  std::size_t operator()(const Interval& i) const noexcept {
    return combine(combine(std::hash<std::int32_t>{}(i.months), std::hash<std::int32_t>{}(i.days)),
                   std::hash<std::int64_t>{}(i.micros));
  }
  std::size_t operator()(const Uuid& u) const noexcept {
    return text(std::string_view(reinterpret_cast<const char*>(u.bytes.data()), u.bytes.size()));
  }
  std::size_t operator()(const Json& j) const noexcept { return text(j.text); }
  std::size_t operator()(const Array& a) const noexcept {
    std::size_t h = a.items.size();
    for (const Value& v : a.items) h = combine(h, ValueHash{}(v));
    return h;
  }
  static std::size_t text(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace

std::size_t ValueHash::operator()(const Value& value) const noexcept {
  return combine(static_cast<std::size_t>(value.type()), std::visit(HashVisitor{}, value.storage()));
}

std::size_t ValuesHash::operator()(const std::vector<Value>& values) const noexcept {
  std::size_t h = values.size();
  for (const Value& v : values) h = combine(h, ValueHash{}(v));
  return h;
}

LookupCache::LookupCache(std::size_t max_entries, std::chrono::milliseconds ttl)
    : LookupCache(CacheOptions{.max_entries = max_entries, .ttl = ttl}) {}

LookupCache::LookupCache(const CacheOptions& options)
    : max_entries_(options.max_entries),
      ttl_(options.ttl),
      negative_ttl_(options.negative_ttl.value_or(options.ttl)),
      stale_for_(options.stale_for) {
  if (max_entries_ == 0 || ttl_.count() <= 0 || negative_ttl_.count() <= 0 || stale_for_.count() < 0)
    throw Error(ErrorKind::config, "a lookup cache needs max_entries >= 1 and ttls above 0");
  index_.reserve(std::min<std::size_t>(max_entries_, 1 << 16));
}

void LookupCache::stamp(Entry& entry, Clock::time_point now) const {
  entry.expires = now + (entry.rows->empty() ? negative_ttl_ : ttl_);
  entry.stale_until = std::max(entry.expires, now + stale_for_);
}

std::shared_ptr<const LookupRows> LookupCache::get(const Key& key, Clock::time_point now) {
  auto it = index_.find(&key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  List::iterator entry = it->second;
  if (entry->expires <= now) {
    if (entry->stale_until <= now) {
      index_.erase(it);
      entries_.erase(entry);
    }
    ++stats_.expirations;
    ++stats_.misses;
    return nullptr;
  }
  entries_.splice(entries_.begin(), entries_, entry);
  ++stats_.hits;
  return entry->rows;
}

std::shared_ptr<const LookupRows> LookupCache::stale(const Key& key, Clock::time_point now) {
  auto it = index_.find(&key);
  if (it == index_.end() || it->second->stale_until <= now) return nullptr;
  ++stats_.stale_hits;
  return it->second->rows;
}

void LookupCache::put(Key key, std::shared_ptr<const LookupRows> rows, Clock::time_point now) {
  if (auto it = index_.find(&key); it != index_.end()) {
    it->second->rows = std::move(rows);
    stamp(*it->second, now);
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  entries_.push_front(Entry{std::move(key), std::move(rows), {}, {}});
  stamp(entries_.front(), now);
  index_.emplace(&entries_.front().key, entries_.begin());
  if (entries_.size() > max_entries_) {
    index_.erase(&entries_.back().key);
    entries_.pop_back();
    ++stats_.evictions;
  }
}

void LookupCache::clear() noexcept {
  index_.clear();
  entries_.clear();
}

}  // namespace weir::lookup
