#include <gtest/gtest.h>

#include "weir/error.hpp"

namespace weir {
namespace {

TEST(Error, TransientKindsAreRetryableByDefault) {
  EXPECT_TRUE(Error(ErrorKind::deadlock, "x").retryable());
  EXPECT_TRUE(Error(ErrorKind::serialization, "x").retryable());
  EXPECT_TRUE(Error(ErrorKind::connection, "x").retryable());
  EXPECT_TRUE(Error(ErrorKind::timeout, "x").retryable());
  EXPECT_FALSE(Error(ErrorKind::syntax, "x").retryable());
  EXPECT_FALSE(Error(ErrorKind::unique, "x").retryable());
  EXPECT_FALSE(Error(ErrorKind::auth, "x").retryable());
  EXPECT_FALSE(Error(ErrorKind::config, "x").retryable());
}

TEST(Error, RetryabilityCanBeOverriddenByTheDriver) {
  Error e(ErrorKind::connection, "cannot open file", "14", false);
  EXPECT_FALSE(e.retryable());
  EXPECT_EQ(e.code(), "14");
}

TEST(Error, ContextIsPrefixedAndKindKept) {
  Error e(ErrorKind::unique, "duplicate key");
  e.add_context("writing to `orders`");
  EXPECT_STREQ(e.what(), "writing to `orders`: duplicate key");
  EXPECT_EQ(e.kind(), ErrorKind::unique);
  EXPECT_TRUE(is_constraint(e.kind()));
}

TEST(Error, MessageNeverCarriesAUrlPassword) {
  Error e(ErrorKind::connection, "cannot reach postgres://app:hunter2-canary@db:5432/shop");
  EXPECT_EQ(std::string(e.what()).find("hunter2-canary"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("postgres://app:***@db:5432/shop"), std::string::npos);
}

}  // namespace
}  // namespace weir
