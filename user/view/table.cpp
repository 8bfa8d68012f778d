#include "view/table.hpp"

#include <algorithm>
#include <cstdio>

namespace dw {

std::string Table::str() const {
    std::vector<size_t> w(header_.size(), 0);
    for (size_t i = 0; i < header_.size(); i++) w[i] = header_[i].size();
    for (const auto& r : rows_)
        for (size_t i = 0; i < r.size() && i < w.size(); i++) w[i] = std::max(w[i], r[i].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string s;
        for (size_t i = 0; i < w.size(); i++) {
            std::string c = i < cells.size() ? cells[i] : "";
            std::string pad(w[i] - std::min(w[i], c.size()), ' ');
            // First column left-aligned (a label), the rest right-aligned (numbers).
            s += i == 0 ? c + pad : pad + c;
            if (i + 1 < w.size()) s += "  ";
        }
        while (!s.empty() && s.back() == ' ') s.pop_back();
        return s + "\n";
    };
    std::string out = line(header_);
    for (const auto& r : rows_) out += line(r);
    return out;
}

std::string human_count(double v) {
    char buf[32];
    if (v < 100000) {
        std::snprintf(buf, sizeof(buf), "%.0f", v);
    } else if (v < 1e9) {
        std::snprintf(buf, sizeof(buf), "%.2fM", v / 1e6);
    } else {
        std::snprintf(buf, sizeof(buf), "%.2fG", v / 1e9);
    }
    return buf;
}

}  // namespace dw
