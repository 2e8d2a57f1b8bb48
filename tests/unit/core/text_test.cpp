#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"

namespace weir {
namespace {

std::string suggest(std::string_view wrong, std::vector<std::string_view> candidates) {
  return did_you_mean(wrong, candidates);
}

TEST(Text, IequalsIgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Batch_Size", "batch_size"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_TRUE(iequals("ABC123", "abc123"));
  EXPECT_FALSE(iequals("abc", "abcd"));
  EXPECT_FALSE(iequals("abcd", "abc"));
  EXPECT_FALSE(iequals("abc", "abd"));
  EXPECT_FALSE(iequals("a_b", "a-b"));
  EXPECT_FALSE(iequals("", "a"));
}

TEST(Text, ToLower) {
  EXPECT_EQ(to_lower("PostgreSQL"), "postgresql");
  EXPECT_EQ(to_lower("MiXeD-123_x"), "mixed-123_x");
  EXPECT_EQ(to_lower(""), "");
  EXPECT_EQ(to_lower("ÄÖ"), "ÄÖ") << "non-ASCII bytes are left alone";
}

TEST(Text, TrimRemovesSurroundingWhitespaceOnly) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim("\t\nvalue"), "value");
  EXPECT_EQ(trim("value  "), "value");
  EXPECT_EQ(trim("x"), "x");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\r\n "), "");
  EXPECT_EQ(trim("a  \t  b"), "a  \t  b");
}

TEST(Text, EditDistanceIsLevenshtein) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("sitting", "kitten"), 3u);
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("same", "same"), 0u);
  EXPECT_EQ(edit_distance("flaw", "lawn"), 2u);
  EXPECT_EQ(edit_distance("batch_size", "bach_size"), 1u);   // deletion
  EXPECT_EQ(edit_distance("batch_size", "batch_sise"), 1u);  // substitution
  EXPECT_EQ(edit_distance("batch_size", "batch_sizes"), 1u); // insertion
  EXPECT_EQ(edit_distance("ab", "ba"), 2u);                  // a swap is two edits
  EXPECT_EQ(edit_distance("abc", "xyz"), 3u);
}

TEST(Text, DidYouMeanSuggestsTheClosestName) {
  EXPECT_EQ(suggest("bach_size", {"batch_size", "parallelism"}), " (did you mean `batch_size`?)");
  EXPECT_EQ(suggest("conection", {"collection", "connection"}), " (did you mean `connection`?)");
  EXPECT_EQ(suggest("timeuot", {"timeout", "tables"}), " (did you mean `timeout`?)");
  EXPECT_EQ(suggest("Batch_Size", {"batch_size"}), " (did you mean `batch_size`?)")
      << "a case slip is the closest possible mistake";
  EXPECT_EQ(suggest("on_conflcit", {"on_conflict", "on_error"}), " (did you mean `on_conflict`?)");
}

TEST(Text, DidYouMeanStaysQuietForFarNames) {
  EXPECT_EQ(suggest("xyz", {"batch_size", "parallelism"}), "");
  EXPECT_EQ(suggest("completely_different", {"batch_size", "timeout"}), "");
  EXPECT_EQ(suggest("anything", {}), "");
  EXPECT_EQ(suggest("tables", {"columns"}), "");
}

TEST(Text, DidYouMeanDoesNotSuggestNamesWithNothingInCommon) {
  EXPECT_EQ(suggest("to", {"id"}), "");
  EXPECT_EQ(suggest("x", {"id"}), "");
  EXPECT_EQ(suggest("", {"id"}), "");
}

}  // namespace
}  // namespace weir
