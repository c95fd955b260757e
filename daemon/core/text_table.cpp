// See text_table.hpp.
#include "core/text_table.hpp"

#include <algorithm>

namespace zefortd {

text_table::text_table(std::vector<std::string> header, std::vector<bool> right)
    : header_(std::move(header)), right_(std::move(right)) {
  right_.resize(header_.size(), false);
}

void text_table::add(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

std::string text_table::render(const std::string& indent) const {
  std::vector<std::size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string s = indent;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) s += "  ";
      const std::string pad(width[i] - row[i].size(), ' ');
      s += right_[i] ? pad + row[i] : row[i] + pad;
    }
    s.erase(s.find_last_not_of(' ') + 1);
    out += s + "\n";
  };
  line(header_);
  for (const auto& r : rows_) line(r);
  return out;
}

std::string count_of(std::size_t n, const std::string& singular, const std::string& plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

}  // namespace zefortd
