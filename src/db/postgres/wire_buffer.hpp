// A growable byte buffer with big-endian writers: what the binary COPY encoder appends to.
//
// Writing a row means a dozen small appends; std::string's append checks, and zero-fills on
// resize, cost more there than the bytes themselves. extend() reserves once per field.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace weir::db::postgres {

class WireBuffer {
 public:
  // Room for `n` more bytes at the end; returns where they start (contents unspecified).
  char* extend(std::size_t n) {
    if (size_ + n > capacity_) grow(size_ + n);
    char* p = data_.get() + size_;
    size_ += n;
    return p;
  }
  // Drops the last `n` bytes (an encoder that reserved more than it wrote).
  void shrink(std::size_t n) noexcept { size_ -= n; }

  void put_u8(std::uint8_t v) { *extend(1) = static_cast<char>(v); }
  void put_i16(std::int16_t v) { store16(extend(2), static_cast<std::uint16_t>(v)); }
  void put_i32(std::int32_t v) { store32(extend(4), static_cast<std::uint32_t>(v)); }
  void put_i64(std::int64_t v) { store64(extend(8), static_cast<std::uint64_t>(v)); }
  void put_bytes(std::string_view bytes) {
    if (!bytes.empty()) std::memcpy(extend(bytes.size()), bytes.data(), bytes.size());
  }
  // A length word and the bytes: one field of a COPY row or an array element.
  void put_field(std::string_view bytes) {
    put_i32(static_cast<std::int32_t>(bytes.size()));
    put_bytes(bytes);
  }

  static void store16(char* p, std::uint16_t v) noexcept {
    v = __builtin_bswap16(v);
    std::memcpy(p, &v, 2);
  }
  static void store32(char* p, std::uint32_t v) noexcept {
    v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
  }
  static void store64(char* p, std::uint64_t v) noexcept {
    v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
  }

  char* data() noexcept { return data_.get(); }
  const char* data() const noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept { size_ = 0; }
  std::string_view view() const noexcept { return {data_.get(), size_}; }

 private:
  void grow(std::size_t needed) {
    std::size_t capacity = capacity_ ? capacity_ * 2 : 4096;
    while (capacity < needed) capacity *= 2;
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Big-endian reads from a field the caller has bounds-checked.
inline std::uint16_t load16(const char* p) noexcept {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline std::uint32_t load32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline std::uint64_t load64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

}  // namespace weir::db::postgres
