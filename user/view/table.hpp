// A plain text table with right-aligned numeric columns.
#pragma once

#include <string>
#include <vector>

namespace dw {

class Table {
public:
    explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
    void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
    bool empty() const { return rows_.empty(); }
    std::string str() const;

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

// 1234567 -> "1.23M"; exact below 100000.
std::string human_count(double v);

}  // namespace dw
