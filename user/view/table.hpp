// A plain text table with right-aligned numeric columns.
#pragma once

#include <string>
#include <vector>

namespace dw {

enum class Align { Left, Right };

class Table {
public:
    // By default the first column is left-aligned (a label) and the rest are
    // right-aligned (numbers); `align` overrides that per column.
    explicit Table(std::vector<std::string> header, std::vector<Align> align = {})
        : header_(std::move(header)), align_(std::move(align)) {}
    void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
    bool empty() const { return rows_.empty(); }
    std::string str() const;

private:
    std::vector<std::string> header_;
    std::vector<Align> align_;
    std::vector<std::vector<std::string>> rows_;
};

// 1234567 -> "1.23M"; exact below 100000.
std::string human_count(double v);

}  // namespace dw
