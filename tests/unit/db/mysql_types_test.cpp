// The MySQL field table in docs/types.md is what column_of really does.
#include <gtest/gtest.h>

#include <cstring>

#include "db/mysql/types.hpp"

namespace weir::db::mysql {
namespace {

TEST(MysqlTypes, DocumentedFieldsMatchColumnOf) {
  for (const FieldDoc& doc : documented_fields()) {
    MYSQL_FIELD field;
    std::memset(&field, 0, sizeof field);
    field.name = const_cast<char*>("c");
    field.type = doc.field;
    field.flags = doc.flags;
    field.length = doc.length;
    field.charsetnr = doc.charset;
    Column c = column_of(field);
    EXPECT_EQ(c.type, doc.type) << doc.native;
    EXPECT_EQ(c.native_type, doc.native);
  }
}

// A DECIMAL's length counts its digits, sign and point; one no DECIMAL can have (65 digits at
// most) gives no precision rather than a wrong one. Found by fuzzing (tests/fuzz/corpus/
// mysql_values/decimal_length_overflow): a length past INT_MAX overflowed, and 4294967295 read
// as precision 1.
TEST(MysqlTypes, DecimalPrecisionComesFromPlausibleLengthsOnly) {
  MYSQL_FIELD field;
  std::memset(&field, 0, sizeof field);
  field.name = const_cast<char*>("c");
  field.type = MYSQL_TYPE_NEWDECIMAL;
  field.decimals = 2;
  field.length = 14;  // decimal(12,2): 12 digits, the sign and the point
  EXPECT_EQ(column_of(field).precision, 12);
  EXPECT_EQ(column_of(field).scale, 2);
  field.decimals = 0;
  field.length = 66;  // decimal(65,0)
  EXPECT_EQ(column_of(field).precision, 65);
  for (unsigned long length : {68ul, 2147483648ul, 4294967295ul}) {
    field.length = length;
    EXPECT_EQ(column_of(field).precision, 0) << length;
    EXPECT_EQ(column_type(column_of(field)), "decimal(65,30)") << length;
  }
}

}  // namespace
}  // namespace weir::db::mysql
