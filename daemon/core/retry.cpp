// Retry classification, Retry-After parsing and status descriptions; see retry.hpp.
#include "core/retry.hpp"

#include <algorithm>
#include <boost/algorithm/string/trim.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <ctime>
#include <vector>

#include "core/redact.hpp"

namespace zefortd {

retry_verdict classify_status(http_method_kind method, unsigned status) {
  if (status >= 200 && status < 300) return retry_verdict::success;
  // 408: the server gave up waiting for our request; 429: it refused to look at it. Either
  // way nothing was done, so even a POST can go again.
  if (status == 408 || status == 429) return retry_verdict::retry;
  if (status >= 500 && status < 600) {
    // Not Implemented / HTTP Version Not Supported will say the same thing next time.
    if (status == 501 || status == 505) return retry_verdict::permanent;
    if (method != http_method_kind::post) return retry_verdict::retry;
    // 503 is what an overloaded or draining backend answers before doing any work. A 500, 502
    // or 504 may come after the task was created (a crash or a proxy timeout mid-request).
    return status == 503 ? retry_verdict::retry : retry_verdict::retry_in_doubt;
  }
  // Every other 4xx, redirects we do not follow, and codes outside any class.
  return retry_verdict::permanent;
}

namespace {

using std::chrono::milliseconds;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  return boost::algorithm::trim_copy_if(s, is_space);
}

std::optional<milliseconds> parse_delta_seconds(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  // Ten digits are more than any cap we apply; stopping here keeps the sum from overflowing.
  const auto significant = s.substr(std::min(s.find_first_not_of('0'), s.size()));
  if (significant.size() > 9) return max_retry_after;
  long long seconds = 0;
  for (char c : significant) seconds = seconds * 10 + (c - '0');
  return std::min(milliseconds(std::chrono::seconds(seconds)), max_retry_after);
}

std::optional<milliseconds> parse_http_date(std::string_view s,
                                            std::chrono::system_clock::time_point now) {
  // The longest valid form is an RFC 850 date with a full weekday name: about 40 characters.
  if (s.size() > 64) return std::nullopt;
  const std::string text(s);
  // The three forms of RFC 9110 §5.6.7. strptime reads names in the C locale, which is the
  // daemon's: it never calls setlocale.
  static constexpr const char* formats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850:     Sunday, 06-Nov-94 08:49:37 GMT
      "%a %b %e %H:%M:%S %Y",       // asctime:     Sun Nov  6 08:49:37 1994
  };
  for (const char* format : formats) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    const std::time_t t = timegm(&tm);
    // Compared in seconds first: a date far ahead (year 9999) overflows the clock's nanoseconds
    // (found by tests/fuzz/retry_after_fuzz), and one far behind is simply past.
    const auto now_s = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    if (t <= now_s) return milliseconds(0);
    if (t - now_s > std::chrono::ceil<std::chrono::seconds>(max_retry_after).count())
      return max_retry_after;
    const auto when = std::chrono::system_clock::from_time_t(t);
    if (when <= now) return milliseconds(0);
    return std::min(std::chrono::ceil<milliseconds>(when - now), max_retry_after);
  }
  return std::nullopt;
}

}  // namespace

std::optional<milliseconds> parse_retry_after(std::string_view header,
                                              std::chrono::system_clock::time_point now) {
  const std::string_view value = trim(header);
  if (auto delta = parse_delta_seconds(value)) return delta;
  return parse_http_date(value, now);
}

namespace {

constexpr std::size_t max_description = 300;

// Keys under which Django REST framework and similar APIs put messages that belong to no field:
// printing "detail: Invalid API key." would only add noise.
bool is_general_key(std::string_view key) {
  return key == "detail" || key == "non_field_errors" || key == "error" || key == "message" ||
         key == "errors";
}

// Collects "field.sub: message" lines from a validation error body such as
// {"search": ["This field is required."], "attributes": {"end_date": ["Enter a valid date."]}}.
void collect_messages(const boost::json::value& v, const std::string& path,
                      std::vector<std::string>& out, std::size_t& length) {
  if (length > max_description) return;  // the rest would be cut anyway
  auto add = [&](std::string message) {
    std::string line = path.empty() ? std::move(message) : path + ": " + message;
    length += line.size() + 2;
    out.push_back(std::move(line));
  };
  switch (v.kind()) {
    case boost::json::kind::string:
      add(std::string(v.get_string()));
      break;
    case boost::json::kind::array:
      for (const auto& item : v.get_array()) collect_messages(item, path, out, length);
      break;
    case boost::json::kind::object:
      for (const auto& [key, item] : v.get_object()) {
        std::string sub = path;
        if (!is_general_key(key)) (sub += sub.empty() ? "" : ".") += std::string_view(key);
        collect_messages(item, sub, out, length);
      }
      break;
    default:
      add(boost::json::serialize(v));
      break;
  }
}

std::string body_detail(std::string_view body) {
  body = trim(body);
  if (body.empty()) return {};
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(body, ec);
  if (!ec) {
    std::vector<std::string> messages;
    std::size_t length = 0;
    collect_messages(json, "", messages, length);
    std::string joined;
    for (const auto& m : messages) {
      if (!joined.empty()) joined += "; ";
      joined += m;
    }
    return joined;
  }
  // An HTML error page from a proxy says nothing the status line does not.
  if (body.front() == '<') return {};
  return std::string(body.substr(0, 2 * max_description));
}

// Flattens control characters (a hostile body must not forge log lines) and runs of spaces.
std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const char printable = (u < 0x20 || u == 0x7f) ? ' ' : c;
    if (printable == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += printable;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool iequals_prefix(std::string_view s, std::size_t at, std::string_view word) {
  if (s.size() - at < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[at + i])) != word[i]) return false;
  return true;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=' ||
         c == '-' || c == '_' || c == '.' || c == '~';
}

// A credential-looking token: base64 or opaque, long, and not an English word (which has no
// digits or base64 punctuation), so that "basic search" survives while "Basic eVNM...==" does not.
bool looks_like_credential(std::string_view token) {
  return token.size() >= 8 && std::any_of(token.begin(), token.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
         });
}

// A proxy or debug page may echo our request back, Authorization header included.
std::string redact_credentials(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    const bool word_start = i == 0 || !std::isalnum(static_cast<unsigned char>(s[i - 1]));
    std::size_t scheme = 0;
    if (word_start && iequals_prefix(s, i, "basic ")) scheme = 6;
    if (word_start && iequals_prefix(s, i, "bearer ")) scheme = 7;
    if (scheme == 0) {
      out += s[i++];
      continue;
    }
    std::size_t end = i + scheme;
    while (end < s.size() && is_token_char(s[end])) ++end;
    const std::string_view token = s.substr(i + scheme, end - i - scheme);
    out.append(s.substr(i, scheme));
    if (looks_like_credential(token)) {
      out += "[redacted]";
    } else {
      out.append(token);
    }
    i = end;
  }
  return out;
}


std::string_view hint(unsigned status) {
  if (status == 401 || status == 403) return "(check the API key)";
  if (status >= 300 && status < 400) return "(check api.base_url: the server redirects)";
  return {};
}

}  // namespace

std::string describe_status(unsigned status, std::string_view reason, std::string_view body) {
  std::string head = std::to_string(status);
  if (!reason.empty()) (head += ' ') += reason;
  const std::string_view tail = hint(status);

  std::string detail = redact_credentials(one_line(body_detail(body)));
  const std::size_t budget =
      max_description - std::min(max_description, head.size() + tail.size() + 3);
  detail = cut_text(std::move(detail), budget, "...");

  std::string out = std::move(head);
  if (!detail.empty()) (out += ": ") += detail;
  if (!tail.empty()) (out += ' ') += tail;
  return out;
}

}  // namespace zefortd
