// Tests for core/text_table: columns follow the widest cell, numbers sit right, plurals.
#include "core/text_table.hpp"

#include <gtest/gtest.h>

namespace zefortd {
namespace {

TEST(TextTable, ColumnsFollowTheWidestCellAndNumbersSitRight) {
  text_table t({"JOB", "N", "NOTE"}, {false, true, false});
  t.add({"a", "1", "x"});
  t.add({"longer-job", "12345", ""});
  EXPECT_EQ(t.render(),
            "  JOB             N  NOTE\n"
            "  a               1  x\n"
            "  longer-job  12345\n");
}

TEST(TextTable, ShortRowsArePaddedAndIndentIsKept) {
  text_table t({"A", "B"});
  t.add({"x"});
  EXPECT_EQ(t.render(""), "A  B\nx\n");
}

TEST(TextTable, CountsSayOneInTheSingular) {
  EXPECT_EQ(count_of(0, "contract", "contracts"), "0 contracts");
  EXPECT_EQ(count_of(1, "contract", "contracts"), "1 contract");
  EXPECT_EQ(count_of(2, "open task", "open tasks"), "2 open tasks");
}

}  // namespace
}  // namespace zefortd
