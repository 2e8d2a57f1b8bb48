// TableRef::parse and validate_identifier (src/db/catalog.cpp).
#include <gtest/gtest.h>

#include <string>

#include "unit/db/print.hpp"
#include "weir/db/catalog.hpp"
#include "weir/error.hpp"

namespace weir::db {
namespace {

// The config error validate_identifier / parse throws, or a failure when none is thrown.
template <class F>
std::string config_error(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a config error";
  return {};
}

TEST(TableRef, ParsesSchemaAndTable) {
  EXPECT_EQ(TableRef::parse("a.b"), (TableRef{"a", "b"}));
  EXPECT_EQ(TableRef::parse("sales.Order Items"), (TableRef{"sales", "Order Items"}));
}

TEST(TableRef, ParsesABareTable) {
  TableRef t = TableRef::parse("t");
  EXPECT_EQ(t.schema, "");
  EXPECT_EQ(t.name, "t");
  EXPECT_EQ(TableRef::parse("Ñandú"), (TableRef{"", "Ñandú"}));
}

TEST(TableRef, SplitsAtTheFirstDot) {
  EXPECT_EQ(TableRef::parse("a.b.c"), (TableRef{"a", "b.c"}));
}

TEST(TableRef, ToStringJoinsWithADot) {
  EXPECT_EQ((TableRef{"a", "b"}).to_string(), "a.b");
  EXPECT_EQ((TableRef{"", "t"}).to_string(), "t");
  EXPECT_EQ(TableRef::parse("x.y").to_string(), "x.y");
}

TEST(TableRef, EmptyPartsAreRejected) {
  EXPECT_NE(config_error([] { TableRef::parse(""); }).find("table"), std::string::npos);
  EXPECT_NE(config_error([] { TableRef::parse(".t"); }).find("schema"), std::string::npos);
  EXPECT_NE(config_error([] { TableRef::parse("s."); }).find("table"), std::string::npos);
  config_error([] { TableRef::parse("."); });
}

TEST(TableRef, ControlCharactersAreRejected) {
  config_error([] { TableRef::parse("bad\ttable"); });
  config_error([] { TableRef::parse("s\n.t"); });
}

TEST(ValidateIdentifier, AcceptsWhatQuotingMakesSafe) {
  for (const char* ok : {"t", "Order Items", "order", "a\"b", "a`b", "Ñandú ☃", "a.b", "1starts_with_digit", "'quoted'"})
    EXPECT_NO_THROW(validate_identifier(ok, "table")) << ok;
  EXPECT_NO_THROW(validate_identifier(std::string(128, 'x'), "column")) << "128 bytes is the limit";
}

TEST(ValidateIdentifier, RejectsEmpty) {
  std::string message = config_error([] { validate_identifier("", "column"); });
  EXPECT_NE(message.find("column"), std::string::npos) << message;
  EXPECT_NE(message.find("empty"), std::string::npos) << message;
}

TEST(ValidateIdentifier, RejectsControlCharacters) {
  for (std::string bad : {std::string("a\nb"), std::string("tab\there"), std::string("\x1b[31m"),
                          std::string("del\x7f"), std::string("\r")}) {
    std::string message = config_error([&] { validate_identifier(bad, "table"); });
    EXPECT_NE(message.find("control character"), std::string::npos) << message;
  }
  config_error([] { validate_identifier(std::string("nul\0x", 5), "table"); });
}

TEST(ValidateIdentifier, ControlCharacterMessageIsPrintable) {
  std::string nul = config_error([] { validate_identifier(std::string("nul\0x", 5), "table"); });
  EXPECT_NE(nul.find("control character"), std::string::npos) << nul;
  std::string esc = config_error([] { validate_identifier("\x1b[31mred", "table"); });
  EXPECT_EQ(esc.find('\x1b'), std::string::npos) << "no raw escape character in the message";
}

TEST(ValidateIdentifier, RejectsOver128Bytes) {
  std::string message = config_error([] { validate_identifier(std::string(129, 'x'), "table"); });
  EXPECT_NE(message.find("128"), std::string::npos) << message;
  // Bytes, not characters: 65 two-byte characters are 130 bytes.
  std::string wide;
  for (int i = 0; i < 65; ++i) wide += "Ñ";
  config_error([&] { validate_identifier(wide, "column"); });
}

TEST(ValidateIdentifier, MessageNamesWhat) {
  EXPECT_NE(config_error([] { validate_identifier("", "schema"); }).find("schema"), std::string::npos);
  EXPECT_NE(config_error([] { validate_identifier("", "key column"); }).find("key column"), std::string::npos);
}

}  // namespace
}  // namespace weir::db
