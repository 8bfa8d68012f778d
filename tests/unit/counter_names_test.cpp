#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/counter_names.hpp"

namespace dw {
namespace {

TEST(CounterNames, EveryCounterHasAUniqueName) {
    std::set<std::string> seen;
    for (unsigned i = 0; i < DW_CNT_MAX; i++) {
        auto n = counter_name(i);
        EXPECT_FALSE(n.empty());
        EXPECT_NE(n, "?");
        EXPECT_FALSE(counter_description(i).empty()) << n;
        EXPECT_TRUE(seen.insert(std::string(n)).second) << n;
        EXPECT_EQ(counter_index(n), i);
    }
    EXPECT_EQ(counter_name(DW_CNT_MAX), "?");
    EXPECT_FALSE(counter_index("nope").has_value());
}

TEST(CounterNames, KnownNames) {
    EXPECT_EQ(counter_name(DW_CNT_FRAMES), "frames");
    EXPECT_EQ(counter_name(DW_CNT_FRAG_LATER), "frag_later");
    EXPECT_EQ(counter_name(DW_CNT_FLOW_NEW), "flows_created");
    EXPECT_EQ(counter_name(DW_CNT_FLOW_INSERT_FAIL), "flow_insert_failed");
    EXPECT_EQ(counter_name(DW_CNT_REMARK_FAIL), "remark_failed");
}

TEST(CounterNames, MalformedRange) {
    for (unsigned i = 0; i < DW_CNT_MAX; i++)
        EXPECT_EQ(is_malformed_counter(i), std::string(counter_name(i)).rfind("malformed_", 0) == 0)
            << counter_name(i);
}

}  // namespace
}  // namespace dw
