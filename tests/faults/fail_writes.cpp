// An LD_PRELOAD shim that makes writes fail the way a full or read-only disk does, for the
// write-fault tests (tests/integration/write_faults_test.cpp). It watches the files whose path
// contains WEIR_FAULT_PATH (a database and its -journal/-wal beside it) and, counting every
// write, pwrite, writev, ftruncate, fallocate, fsync and fdatasync on them:
//
//   WEIR_FAULT_AFTER=N      lets the first N succeed, then fails each one after with
//                           WEIR_FAULT_ERRNO (default ENOSPC: the disk stays full);
//   WEIR_FAULT_OPEN=1       fails opening a watched file for writing with EACCES (read-only
//                           state), as a file without write permission does for a non-root user;
//   WEIR_FAULT_REPORT=FILE  on exit writes the count of watched writes and whether one failed
//                           ("writes 12 failed 1"), so a test can stop once N passes them all.
//
// Only the C library's entry points are replaced; everything else goes through unchanged.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kMaxFd = 4096;

struct Config {
  const char* path = nullptr;
  long after = -1;  // -1: never fail a write
  int error = ENOSPC;
  bool fail_open = false;
  const char* report = nullptr;
};

const Config& config() {
  static const Config c = [] {
    Config c;
    c.path = std::getenv("WEIR_FAULT_PATH");
    if (const char* after = std::getenv("WEIR_FAULT_AFTER")) c.after = std::strtol(after, nullptr, 10);
    if (const char* error = std::getenv("WEIR_FAULT_ERRNO")) c.error = std::atoi(error);
    c.fail_open = std::getenv("WEIR_FAULT_OPEN") != nullptr;
    c.report = std::getenv("WEIR_FAULT_REPORT");
    return c;
  }();
  return c;
}

std::array<std::atomic<bool>, kMaxFd> watched{};
std::atomic<long> writes{0};
std::atomic<bool> failed{false};

template <class Fn>
Fn next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

bool matches(const char* path) { return path && config().path && std::strstr(path, config().path); }
bool is_watched(int fd) { return fd >= 0 && fd < kMaxFd && watched[fd].load(std::memory_order_relaxed); }

// True when this watched write must fail (errno is set).
bool inject(int fd) {
  if (!is_watched(fd)) return false;
  long n = writes.fetch_add(1) + 1;
  if (config().after < 0 || n <= config().after) return false;
  failed = true;
  errno = config().error;
  return true;
}

// Opening: refuses writable opens of watched files under WEIR_FAULT_OPEN, watches the fd.
template <class Open>
int opened(const char* path, int flags, Open&& open) {
  if (matches(path) && config().fail_open && (flags & (O_WRONLY | O_RDWR))) {
    errno = EACCES;
    return -1;
  }
  int fd = open();
  if (fd >= 0 && fd < kMaxFd) watched[fd] = matches(path);
  return fd;
}

mode_t mode_of(int flags, va_list args) { return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(args, mode_t) : 0; }

struct Report {
  ~Report() {
    if (!config().report) return;
    if (FILE* f = std::fopen(config().report, "w")) {
      std::fprintf(f, "writes %ld failed %d\n", writes.load(), failed.load() ? 1 : 0);
      std::fclose(f);
    }
  }
} report_at_exit;

}  // namespace

extern "C" {

int open(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_of(flags, args);
  va_end(args);
  return opened(path, flags, [&] { return next<int (*)(const char*, int, ...)>("open")(path, flags, mode); });
}

int open64(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_of(flags, args);
  va_end(args);
  return opened(path, flags, [&] { return next<int (*)(const char*, int, ...)>("open64")(path, flags, mode); });
}

int openat(int dir, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_of(flags, args);
  va_end(args);
  return opened(path, flags,
                [&] { return next<int (*)(int, const char*, int, ...)>("openat")(dir, path, flags, mode); });
}

int openat64(int dir, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = mode_of(flags, args);
  va_end(args);
  return opened(path, flags,
                [&] { return next<int (*)(int, const char*, int, ...)>("openat64")(dir, path, flags, mode); });
}

int close(int fd) {
  if (fd >= 0 && fd < kMaxFd) watched[fd] = false;
  return next<int (*)(int)>("close")(fd);
}

ssize_t write(int fd, const void* buf, size_t n) {
  if (inject(fd)) return -1;
  return next<ssize_t (*)(int, const void*, size_t)>("write")(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
  if (inject(fd)) return -1;
  return next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite")(fd, buf, n, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t offset) {
  if (inject(fd)) return -1;
  return next<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64")(fd, buf, n, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  if (inject(fd)) return -1;
  return next<ssize_t (*)(int, const struct iovec*, int)>("writev")(fd, iov, count);
}

int ftruncate(int fd, off_t length) {
  if (inject(fd)) return -1;
  return next<int (*)(int, off_t)>("ftruncate")(fd, length);
}

int ftruncate64(int fd, off64_t length) {
  if (inject(fd)) return -1;
  return next<int (*)(int, off64_t)>("ftruncate64")(fd, length);
}

int fallocate(int fd, int mode, off_t offset, off_t length) {
  if (inject(fd)) return -1;
  return next<int (*)(int, int, off_t, off_t)>("fallocate")(fd, mode, offset, length);
}

int fsync(int fd) {
  if (inject(fd)) return -1;
  return next<int (*)(int)>("fsync")(fd);
}

int fdatasync(int fd) {
  if (inject(fd)) return -1;
  return next<int (*)(int)>("fdatasync")(fd);
}

}  // extern "C"
