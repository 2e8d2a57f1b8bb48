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

}  // namespace
}  // namespace weir::db::mysql
