// postgres_cdc's `binary` option on a real PostgreSQL: the values pgoutput sends in binary form
// decode to exactly what the text form gives (numeric with every digit and its scale,
// timestamptz in UTC with microseconds, infinities, intervals, arrays with NULLs and two
// dimensions, json and jsonb, bytea, uuid, floats), pinned and compared line for line with a
// text-mode run over the same WAL; a column weir reads only as text (an enum) keeps the whole
// stream in text, said in the log, never approximated.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "postgres_cdc_fixture.hpp"

namespace weir::cdc_test {
namespace {

using nlohmann::json;

// The text of a jsonl line's "after" object, as weir wrote it.
std::string after_of(const std::string& line) {
  std::size_t from = line.find("\"after\":") + 8;
  return line.substr(from, line.find(",\"source\":") - from);
}

class PostgresCdcBinaryTest : public PostgresCdcTest {
 protected:
  // The pipeline file for `tables` with `binary: form`, reading `slot` into `output`.
  std::string binary_file(const std::vector<std::string>& tables, const std::string& form, const std::string& slot,
                          const std::string& output) {
    std::string text = test::read_file(pipeline_file(tables, "\"${WEIR_TEST_PG_URL}\"", output));
    text.replace(text.find("slot: " + slot_), ("slot: " + slot_).size(), "slot: " + slot);
    text.replace(text.find("tables: ["), 0, "binary: " + form + "\n        ");
    text.replace(text.find("  " + pipeline_ + ":"), pipeline_.size() + 3, "  " + form + "_" + pipeline_ + ":");
    std::string file = dir_.file(form + ".yaml");
    test::write_file(file, text);
    return file;
  }
};

TEST_F(PostgresCdcBinaryTest, BinaryValuesAreExactlyTheTextFormsValues) {
  std::string t = table("typed", "id bigint PRIMARY KEY, n numeric(40,10), nn numeric, at timestamptz, ts timestamp, "
                                 "d date, iv interval, tm time, ints int[], grid int[][], words text[], doc jsonb, "
                                 "js json, data bytea, u uuid, f float8, r real, b boolean, s smallint");
  std::string binary = binary_file({t}, "on", slot_, "binary.jsonl");
  auto created = run_once(binary);  // the slot and the publication, before the rows
  ASSERT_EQ(created.exit_code, 0) << created.err;
  db_->execute(fmt::format("SELECT pg_copy_logical_replication_slot('{}', '{}')", slot_, oracle_slot_));
  std::string text = binary_file({t}, "off", oracle_slot_, "text.jsonl");
  db_->execute_script(fmt::format(R"(
INSERT INTO {0} VALUES (1, 123456789012345678901234567890.1234500000, 'NaN', '2026-12-06 10:00:00.123456+02',
  '1999-12-31 23:59:59.999999', 'infinity', '1 year 2 mons 3 days 04:05:06.789', '24:00:00', '{{1,NULL,3}}',
  '{{{{1,2}},{{3,4}}}}', '{{a,"b c",NULL,ü}}', '{{"k": [1, 2.50, "☃"]}}', '{{"raw" :  1}}', '\x00ff10',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 0.1, 3.4028235e38, true, -32768);
INSERT INTO {0} (id, n, at, d) VALUES (2, -0.0000000001, '-infinity', '0044-03-15 BC');
UPDATE {0} SET n = 0, nn = 1e-30 WHERE id = 2;
)",
                                  t));
  auto b = run_once(binary);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.err.find("values stream in binary form"), std::string::npos) << b.err;
  auto x = run_once(text);
  ASSERT_EQ(x.exit_code, 0) << x.err;
  EXPECT_EQ(x.err.find("values stream in binary form"), std::string::npos) << x.err;

  std::vector<std::string> in_binary = lines_of(test::read_file(dir_.file("binary.jsonl")));
  std::vector<std::string> in_text = lines_of(test::read_file(dir_.file("text.jsonl")));
  ASSERT_EQ(in_binary.size(), 3u);
  ASSERT_EQ(in_text.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(in_binary[i], in_text[i]) << "change " << i;
  // The line's own text: json and jsonb as the server keeps them, floats in their shortest form.
  EXPECT_EQ(after_of(in_binary[0]),
            R"({"id":1,"n":"123456789012345678901234567890.1234500000","nn":"NaN","at":"2026-12-06T08:00:00.123456Z",)"
            R"("ts":"1999-12-31T23:59:59.999999","d":"infinity","iv":"P1Y2M3DT4H5M6.789S","tm":"24:00:00",)"
            R"("ints":[1,null,3],"grid":[[1,2],[3,4]],"words":["a","b c",null,"ü"],"doc":{"k": [1, 2.50, "☃"]},)"
            R"("js":{"raw" :  1},"data":"AP8Q","u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","f":0.1,"r":3.4028235e+38,)"
            R"("b":true,"s":-32768})");
  EXPECT_EQ(json::parse(in_binary[2])["after"]["nn"], "0.000000000000000000000000000001");
  EXPECT_EQ(json::parse(in_binary[2])["after"]["n"], "0.0000000000");
}

TEST_F(PostgresCdcBinaryTest, AColumnReadOnlyAsTextKeepsTheStreamInText) {
  std::string mood = "mood_" + s_;
  db_->execute(fmt::format("CREATE TYPE {} AS ENUM ('sad', 'happy')", mood));
  std::string t = table("moods", fmt::format("id int PRIMARY KEY, m {}, amount numeric(12,2)", mood));
  std::string file = binary_file({t}, "on", slot_, "out.jsonl");
  ASSERT_EQ(run_once(file).exit_code, 0);
  db_->execute(fmt::format("INSERT INTO {} VALUES (1, 'happy', 12.50)", t));
  auto r = run_once(file);
  db_->execute("DROP TABLE " + t);
  tables_.clear();
  db_->execute("DROP TYPE " + mood);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(fmt::format("values stream as text: weir reads column public.{}.m ({}) in text form only", t,
                                   mood)),
            std::string::npos)
      << r.err;
  std::vector<std::string> lines = lines_of(out());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json::parse(lines[0])["after"].dump(), R"({"amount":"12.50","id":1,"m":"happy"})");
}

}  // namespace
}  // namespace weir::cdc_test
