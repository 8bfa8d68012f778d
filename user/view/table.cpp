#include "view/table.hpp"

#include <algorithm>
#include <cstdio>

namespace dw {

std::string Table::str() const {
    std::vector<size_t> w(header_.size(), 0);
    for (size_t i = 0; i < header_.size(); i++) w[i] = header_[i].size();
    size_t line_len = 0;
    for (const auto& r : rows_)
        for (size_t i = 0; i < r.size() && i < w.size(); i++) w[i] = std::max(w[i], r[i].size());
    for (auto x : w) line_len += x + 2;
    std::string out;
    out.reserve(line_len * (rows_.size() + 1));
    // Appends one line in place: no temporary strings per cell.
    auto line = [&](const std::vector<std::string>& cells) {
        const size_t start = out.size();
        for (size_t i = 0; i < w.size(); i++) {
            static const std::string kEmpty;
            const std::string& c = i < cells.size() ? cells[i] : kEmpty;
            const size_t pad = w[i] - std::min(w[i], c.size());
            // First column left-aligned (a label), the rest right-aligned (numbers).
            Align a = i < align_.size() ? align_[i] : (i == 0 ? Align::Left : Align::Right);
            if (a == Align::Left) {
                out += c;
                out.append(pad, ' ');
            } else {
                out.append(pad, ' ');
                out += c;
            }
            if (i + 1 < w.size()) out += "  ";
        }
        while (out.size() > start && out.back() == ' ') out.pop_back();
        out += '\n';
    };
    line(header_);
    for (const auto& r : rows_) line(r);
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
