// Typed reading of YAML configuration nodes with positions; see yaml_reader.hpp.
#include "core/yaml_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <sstream>

#include "core/duration.hpp"
#include "core/yaml_json.hpp"

namespace zefortd {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void cannot_read(const fs::path& path, const std::string& why) {
  throw config_error({path}, "cannot read: " + why);
}

// Reads a regular file of at most max_config_file bytes. O_NONBLOCK so that a FIFO given as a
// file (`include: /tmp/fifo`) is refused at once instead of waiting for a writer; the size limit
// ends `include: /dev/zero` (refused as a device anyway) and anything else that never ends.
std::string read_text(const fs::path& path) {
  struct descriptor {
    int fd;
    ~descriptor() {
      if (fd >= 0) ::close(fd);
    }
  } const file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
  const int fd = file.fd;
  if (fd < 0) cannot_read(path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) cannot_read(path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) cannot_read(path, std::strerror(EISDIR));
  if (!S_ISREG(st.st_mode))
    cannot_read(path, std::string(S_ISFIFO(st.st_mode) ? "a FIFO" : "a device or socket") +
                          ", not a regular file");
  const std::string too_large = "larger than " + std::to_string(max_config_file >> 10) +
                                " KiB; a configuration file holds settings and jobs, not data";
  if (static_cast<std::uintmax_t>(st.st_size) > max_config_file) cannot_read(path, too_large);
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) cannot_read(path, std::strerror(errno));
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_config_file) cannot_read(path, too_large);  // grew, or a /proc file
  }
  return text;
}

// yaml-cpp does not report a NUL as such: it takes it for the start of an escape ("unknown
// escape character: s", after the NUL, or at the end of a sequence the NUL cut short). A
// configuration file is text, so the byte itself is the error, at its own line and column.
void refuse_nul(const fs::path& path, std::string_view text) {
  const std::size_t at = text.find('\0');
  if (at == std::string_view::npos) return;
  const std::string_view before = text.substr(0, at);
  const int line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
  const std::size_t line_start = before.rfind('\n');
  const int column =
      static_cast<int>(line_start == std::string_view::npos ? at + 1 : at - line_start);
  throw config_error({path, line, column},
                     "a NUL byte; a configuration file is text (is this the right file?)");
}

source_position position_in(const source_file& file, const YAML::Mark& m) {
  if (m.is_null()) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};  // yaml-cpp counts from 0
}

// yaml-cpp's message for a tab-indented line ("illegal map value") does not say why.
std::string tab_hint(std::string_view text, const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  std::size_t start = 0;
  for (int line = 0; line < mark.line && start != std::string_view::npos; ++line) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos) return {};
  const std::string_view line = text.substr(start, text.find('\n', start) - start);
  const std::string_view indent = line.substr(0, line.find_first_not_of(" \t"));
  if (indent.find('\t') == std::string_view::npos) return {};
  return " (this line is indented with a tab; YAML needs spaces)";
}

// Where each YAML document's first node is (where an error about the document points);
// nothing else of the events is needed.
struct document_starts final : YAML::EventHandler {
  std::vector<YAML::Mark> starts;
  bool fresh = false;
  void node(const YAML::Mark& mark) {
    if (fresh) starts.back() = mark;
    fresh = false;
  }
  void OnDocumentStart(const YAML::Mark& mark) override {
    starts.push_back(mark);
    fresh = true;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}
};

}  // namespace

std::string format_location(const source_position& where) {
  std::string out = where.file.string();
  if (where.line > 0) out += ":" + std::to_string(where.line);
  if (where.line > 0 && where.column > 0) out += ":" + std::to_string(where.column);
  return out;
}

yaml_file load_yaml(const fs::path& path) {
  yaml_file f{path, read_text(path), {}};
  refuse_nul(path, f.text);
  try {
    // Not YAML::LoadAll: on a stray ',' outside any flow collection yaml-cpp 0.7 reports an empty
    // document at the same place forever, and LoadAll keeps them all until memory runs out (a
    // one-byte file took 14 GB in a minute; yaml-cpp issue #1040). Documents are counted with
    // the event API instead, stopping at the second one, or at one that did not move on.
    std::istringstream in(f.text);
    YAML::Parser parser(in);
    document_starts documents;
    while (documents.starts.size() < 2 && parser.HandleNextDocument(documents)) {
    }
    if (documents.starts.size() > 1) {
      const YAML::Mark& second = documents.starts[1];
      if (second.pos == documents.starts[0].pos)
        throw config_error(position_in(path, second),
                           "not YAML that can be read (a stray ',' outside [] or {}?)");
      throw config_error(position_in(path, second),
                         "more than one YAML document; keep everything in the first");
    }
    if (!documents.starts.empty()) f.root = YAML::Load(f.text);
  } catch (const YAML::Exception& e) {
    throw config_error(position_in(path, e.mark), e.msg + tab_hint(f.text, e.mark));
  }
  return f;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      std::string text = node.Scalar();
      if (text.size() > 60) text = text.substr(0, 57) + "...";
      return "'" + text + "'";
    }
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

source_position yaml_reader::position(const YAML::Node& node) const {
  if (node.IsNull())
    for (const auto& [value, key_mark] : empty_values_)
      if (value.is(node)) return position_in(shared_, key_mark);
  return position_in(shared_, node.Mark());
}

void yaml_reader::fail(const YAML::Node& node, const std::string& message) const {
  throw config_error(position(node), message);
}

std::string yaml_reader::text(const YAML::Node& node, const std::string& path) const {
  if (!node.IsScalar()) fail(node, path + ": expected a string, got " + describe(node));
  if (node.Scalar().empty()) fail(node, path + ": must not be empty");
  return node.Scalar();
}

fs::path yaml_reader::file_path(const YAML::Node& node, const std::string& path) const {
  return (file_.path.parent_path() / text(node, path)).lexically_normal();
}

duration yaml_reader::span_of_time(const YAML::Node& node, const std::string& path,
                                   duration most) const {
  const auto d = node.IsScalar() ? parse_duration(node.Scalar()) : std::nullopt;
  if ((d && *d > most) || (!d && node.IsScalar() && duration_too_long(node.Scalar())))
    fail(node, path + ": must be at most " + format_duration(most) + ", got " + describe(node));
  if (!d)
    fail(node,
         path + ": expected a duration such as 500ms, 30s, 5m, 2h or 1d, got " + describe(node));
  return *d;
}

double yaml_reader::number(const YAML::Node& node, const std::string& path) const {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    double value = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
    if (r.ec == std::errc{} && r.ptr == s.data() + s.size() && std::isfinite(value)) return value;
  }
  fail(node, path + ": expected a number, got " + describe(node));
}

unsigned yaml_reader::whole_number(const YAML::Node& node, const std::string& path, unsigned low,
                                   unsigned high) const {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    unsigned long long value = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
    const bool all_digits = r.ptr == s.data() + s.size() && !s.empty();
    if (all_digits && r.ec == std::errc{} && value >= low && value <= high)
      return static_cast<unsigned>(value);
    if (all_digits)  // a whole number, or too long to be one we want
      fail(node, path + ": must be between " + std::to_string(low) + " and " +
                     std::to_string(high) + ", got " + s);
  }
  fail(node, path + ": expected a whole number, got " + describe(node));
}

bool yaml_reader::boolean(const YAML::Node& node, const std::string& path) const {
  if (node.IsScalar() && node.Scalar() == "true") return true;
  if (node.IsScalar() && node.Scalar() == "false") return false;
  fail(node, path + ": expected true or false, got " + describe(node));
}

boost::json::value yaml_reader::to_json(const YAML::Node& node) const {
  return yaml_to_json(node, file_.path, file_.text);
}

}  // namespace zefortd
