// Columns aligned for a terminal: the widths follow the widest cell, numbers may sit right.
// Used by `status`; plain text, no control characters.
#pragma once

#include <string>
#include <vector>

namespace zefortd {

class text_table {
 public:
  // `right[i]`: column i is right-aligned (numbers); missing entries mean left.
  explicit text_table(std::vector<std::string> header, std::vector<bool> right = {});
  void add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  // Each line starts with `indent`; trailing blanks are trimmed; columns two spaces apart.
  std::string render(const std::string& indent = "  ") const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// "1 task", "2 tasks": the count with its noun, singular for exactly one.
std::string count_of(std::size_t n, const std::string& singular, const std::string& plural);

}  // namespace zefortd
