// See progress_line.hpp.
#include "app/progress_line.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace zefortd {
namespace {

std::size_t terminal_width() {
  winsize w{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 1) return w.ws_col - 1;
  return 79;
}

void put(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

bool progress_line::wanted() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) == 1 && !(term && std::strcmp(term, "dumb") == 0) &&
         !is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
}

steady_ms progress_line::now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

progress_line::progress_line(std::size_t jobs) : progress_(jobs, now()) {
  set_live_line(this);
  draw(progress_.line(now()));
}

progress_line::~progress_line() {
  set_live_line(nullptr);
  clear();
}

void progress_line::on_event(const event& e) {
  const steady_ms t = now();
  if (progress_.on_event(e) && progress_.due(t)) draw(progress_.line(t));
}

void progress_line::tick() {
  const steady_ms t = now();
  if (progress_.due(t)) draw(progress_.line(t));
}

void progress_line::draw(const std::string& text) {
  // Cut to the terminal's width: a wrapped line could not be erased with one \r.
  drawn_ = text.substr(0, terminal_width());
  put("\r" + drawn_ + "\x1b[K");
}

void progress_line::clear() {
  if (drawn_.empty()) return;
  put("\r\x1b[K");
}

void progress_line::redraw() {
  if (!drawn_.empty()) put("\r" + drawn_ + "\x1b[K");
}

}  // namespace zefortd
