// max_errors: a count or a percentage of the rows read, and when a count of dead letters
// passes it.
#include <gtest/gtest.h>

#include "pipeline/error_limit.hpp"
#include "weir/error.hpp"

namespace weir::pipeline {
namespace {

TEST(ErrorLimit, ACountAllowsThatManyLetters) {
  ErrorLimit limit = ErrorLimit::parse("10");
  EXPECT_EQ(limit.to_string(), "10");
  EXPECT_FALSE(limit.passed(10, 10));
  EXPECT_TRUE(limit.passed(11, 1'000'000));
  EXPECT_FALSE(ErrorLimit::parse("0").passed(0, 5));
  EXPECT_TRUE(ErrorLimit::parse("0").passed(1, 5));
}

TEST(ErrorLimit, APercentageIsOfTheRowsRead) {
  ErrorLimit limit = ErrorLimit::parse("1%");
  EXPECT_EQ(limit.to_string(), "1%");
  EXPECT_FALSE(limit.passed(10, 1000));
  EXPECT_TRUE(limit.passed(11, 1000));
  EXPECT_TRUE(limit.passed(1, 0));
  EXPECT_FALSE(ErrorLimit::parse("0.5%").passed(5, 1000));
  EXPECT_TRUE(ErrorLimit::parse("0.5%").passed(6, 1000));
  EXPECT_FALSE(ErrorLimit::parse("100%").passed(7, 7));
}

TEST(ErrorLimit, AnythingElseIsAConfigErrorNamingTheForms) {
  for (const char* text : {"", "%", "ten", "-1", "10 %", "1.5", "101%", "-1%", "5%%", "1e3"}) {
    try {
      ErrorLimit::parse(text);
      ADD_FAILURE() << "accepted `" << text << "`";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      EXPECT_NE(std::string(e.what()).find("expected a count of records (`10`) or a percentage"), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace weir::pipeline
