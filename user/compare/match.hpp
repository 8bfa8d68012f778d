// Segment matching between two captures of the same flows (see diff.hpp for
// the identity of a segment). Internal to user/compare.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "compare/segment.hpp"

namespace dw {

struct Pair {
    size_t a = 0, b = 0;  // indices into the captures' segment vectors
};

struct FlowMatch {
    std::vector<size_t> in_a, in_b;  // every segment of the flow, capture order
    std::vector<Pair> pairs;
    std::vector<size_t> only_a, only_b;
};

// Both payloads could be the same bytes: equal hashes over what both captures hold.
bool same_payload(const Segment& x, const Segment& y);

// Matches the segments of every flow present in both captures; flows in one
// capture only are returned with in_a or in_b empty.
std::map<FlowId, FlowMatch> match_segments(const std::vector<Segment>& a, const std::vector<Segment>& b);

// Median of values (sorted in place); 0 for none.
int64_t median(std::vector<int64_t>& v);

}  // namespace dw
