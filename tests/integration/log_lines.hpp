// The lines of a run's output that the error-line tests (error_lines_test.cpp,
// error_lines_cdc_test.cpp) pin whole.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace weir::test {

// The lines of `text` holding `word`, each without its timestamp (what precedes the level).
inline std::vector<std::string> lines_with(const std::string& text, const std::string& word) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(word) == std::string::npos) continue;
    for (const char* level : {"warning ", "error "})
      if (auto at = line.find(level); at != std::string::npos && at < 40) line = line.substr(at);
    found.push_back(line);
  }
  return found;
}

}  // namespace weir::test
