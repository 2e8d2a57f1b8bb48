// test::unique_suffix (tests/support): the names of the tables a test makes on a shared server
// differ between the test processes ctest runs, which start from the same state.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <string>

#include "support/test_support.hpp"

namespace weir::test {
namespace {

// A child process, as ctest starts one per test: forked here, so it starts from this
// process's very state (an unseeded std::rand() would give it this process's next number).
std::string suffix_in_a_child() {
  std::array<int, 2> fds{};
  if (pipe(fds.data()) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string suffix = unique_suffix();
    ssize_t ignored = write(fds[1], suffix.data(), suffix.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  std::array<char, 64> buffer{};
  for (ssize_t n; (n = read(fds[0], buffer.data(), buffer.size())) > 0;) got.append(buffer.data(), n);
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return got;
}

TEST(UniqueSuffix, DiffersBetweenProcessesAndCallsAndFitsAnIdentifier) {
  const std::string here = unique_suffix();
  const std::string child = suffix_in_a_child();
  EXPECT_NE(child, here);
  EXPECT_NE(child, unique_suffix());
  EXPECT_NE(unique_suffix(), unique_suffix());
  for (const std::string& s : {here, child}) {
    EXPECT_FALSE(s.empty());
    EXPECT_LE(s.size(), 16u) << s;
    for (char c : s) EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(c)) || c == '_') << s;
  }
}

}  // namespace
}  // namespace weir::test
