// Loading of the configuration file and its included job files (DESIGN.md §2): strict, every
// error naming file:line:column; plus the small helpers declared in config.hpp.
#include "core/config.hpp"

#include <glob.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/built_apart.hpp"
#include "core/duration.hpp"
#include "core/journal_format.hpp"
#include "core/payload_template.hpp"
#include "core/yaml_reader.hpp"

namespace zefortd {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

using keys = std::span<const std::string_view>;
constexpr std::string_view top_keys[] = {"api", "polling", "state", "metrics", "include", "jobs"};
constexpr std::string_view api_keys[] = {"base_url",    "api_key_file", "ca_file",  "timeout",
                                         "connections", "rate_limit",   "exclusive"};
constexpr std::string_view polling_keys[] = {"initial_delay", "max_delay",  "multiplier",
                                             "give_up_after", "list_above", "dismiss_foreign"};
constexpr std::string_view state_keys[] = {"journal"};
constexpr std::string_view metrics_keys[] = {"listen"};
constexpr std::string_view job_file_keys[] = {"jobs", "include"};
constexpr std::array<std::pair<std::string_view, job_timezone>, 2> timezones{
    {{"utc", job_timezone::utc}, {"local", job_timezone::local}}};
constexpr std::array<std::pair<std::string_view, overlap_policy>, 2> overlaps{
    {{"skip", overlap_policy::skip}, {"allow", overlap_policy::allow}}};
constexpr std::string_view job_keys[] = {"name",    "endpoint", "schedule", "timezone",
                                         "overlap", "catch_up", "payload",  "dismiss"};

// The longest value of each duration (README, "Configuration"). Far beyond any sensible setting,
// so that a typo such as `timeout: 1000000d` is refused rather than overflowing a deadline, and a
// huge max_delay cannot sleep past give_up_after.
constexpr duration max_timeout{std::chrono::hours(1)};
constexpr duration max_poll_delay{std::chrono::days(1)};
constexpr duration max_give_up_after{std::chrono::days(30)};
constexpr duration max_catch_up{std::chrono::days(30)};

// The first entry of a systemd directory variable ("a:b" when several directories are listed).
std::optional<fs::path> first_directory(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return std::nullopt;
  const std::string_view first =
      std::string_view(value).substr(0, std::string_view(value).find(':'));
  if (first.empty()) return std::nullopt;
  return fs::path(first);
}

// The URL as an error message may show it: without its query or fragment, which may hold a key
// or a token that must not reach a terminal or a log.
std::string shown_url(std::string_view text) {
  const std::size_t cut = text.find_first_of("?#");
  if (cut == std::string_view::npos) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, cut)) + "' (query or fragment not shown)";
}

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

constexpr std::string_view punycode_hint =
    "; write a non-ASCII host name in its ASCII (punycode) form, e.g. xn--bcher-kva.example for "
    "bücher.example";

boost::urls::url read_base_url(const yaml_reader& r, const YAML::Node& node) {
  const std::string text = r.text(node, "api.base_url");
  const std::string shown = shown_url(text);
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed)
    r.fail(node, "api.base_url: not an absolute URL: " + shown +
                     (has_non_ascii(text) ? std::string(punycode_hint) : ""));
  boost::urls::url url = *parsed;
  // The key must never travel in the URL, nor be echoed into this message.
  if (url.has_userinfo())
    r.fail(node,
           "api.base_url: must not hold a user name or password; the API key belongs in "
           "api_key_file, $CREDENTIALS_DIRECTORY/api-key or ZEFORT_APIKEY");
  if (url.scheme_id() != boost::urls::scheme::https)
    r.fail(node, "api.base_url: must use https, got " + shown);
  if (!url.has_authority() || url.encoded_host().empty())
    r.fail(node, "api.base_url: must name a host, got " + shown);
  if (has_non_ascii(url.host()))
    r.fail(node,
           "api.base_url: the host '" + url.host() + "' is not ASCII" + std::string(punycode_hint));
  // Boost.URL accepts any digits, or none, after the colon, and reads 0 for what is no port.
  if (url.has_port() && url.port_number() == 0)
    r.fail(node,
           "api.base_url: the port must be a number from 1 to 65535, got " +
               (url.port().empty() ? std::string("none") : "'" + std::string(url.port()) + "'") +
               " in " + shown);
  if (url.has_query() || url.has_fragment())
    r.fail(node, "api.base_url: must not have a query or fragment, got " + shown);
  url.normalize();
  // Endpoints resolve against the base: without a trailing slash its last segment would be lost.
  // The slash is appended to the text (the path is its tail: no query, no fragment) because
  // Boost.URL 1.81's set_encoded_path("/") writes "/./".
  if (!url.encoded_path().ends_with('/'))
    url = *boost::urls::parse_uri(std::string(url.buffer()) + "/");
  return url;
}

void read_api(const yaml_reader& r, const YAML::Node& section, api_config& api) {
  bool has_base_url = false;
  r.members(section, "api", api_keys, [&](const std::string& key, const YAML::Node& v) {
    const std::string at = "api." + key;
    if (key == "base_url") {
      api.base_url = read_base_url(r, v);
      has_base_url = true;
    } else if (key == "api_key_file") {
      api.api_key_file = r.file_path(v, at);
    } else if (key == "ca_file") {
      api.ca_file = r.file_path(v, at);
    } else if (key == "timeout") {
      api.timeout = r.span_of_time(v, at, max_timeout);
      if (api.timeout.count() <= 0) r.fail(v, at + ": must be more than 0");
    } else if (key == "connections") {
      api.connections = r.whole_number(v, at, 1, 256);
    } else if (key == "rate_limit") {
      api.rate_limit = r.number(v, at);
      if (api.rate_limit < 0) r.fail(v, at + ": must be 0 (no limit) or more, got " + v.Scalar());
    } else if (key == "exclusive") {
      api.exclusive = r.boolean(v, at);
    }
  });
  if (!has_base_url) r.fail(section, "api: missing required key 'base_url'");
}

void read_polling(const yaml_reader& r, const YAML::Node& section, polling_config& polling) {
  std::optional<YAML::Node> initial_delay, max_delay;
  r.members(section, "polling", polling_keys, [&](const std::string& key, const YAML::Node& v) {
    const std::string at = "polling." + key;
    if (key == "initial_delay") {
      polling.initial_delay = r.span_of_time(v, at, max_poll_delay);
      if (polling.initial_delay.count() <= 0) r.fail(v, at + ": must be more than 0");
      initial_delay = v;
    } else if (key == "max_delay") {
      polling.max_delay = r.span_of_time(v, at, max_poll_delay);
      max_delay = v;
    } else if (key == "multiplier") {
      polling.multiplier = r.number(v, at);
      if (polling.multiplier < 1) r.fail(v, at + ": must be 1 or more, got " + v.Scalar());
    } else if (key == "give_up_after") {
      polling.give_up_after = r.span_of_time(v, at, max_give_up_after);
      if (polling.give_up_after.count() <= 0) r.fail(v, at + ": must be more than 0");
    } else if (key == "list_above") {
      polling.list_above = r.whole_number(v, at, 0, 1'000'000);
    } else if (key == "dismiss_foreign") {
      polling.dismiss_foreign = r.boolean(v, at);
    }
  });
  // Only a written value can be wrong; blame max_delay when both are.
  if (polling.max_delay < polling.initial_delay)
    r.fail(max_delay ? *max_delay : *initial_delay,
           "polling.max_delay (" + format_duration(polling.max_delay) +
               ") must not be less than polling.initial_delay (" +
               format_duration(polling.initial_delay) + ")");
}

void read_metrics(const yaml_reader& r, const YAML::Node& section, metrics_config& metrics) {
  r.members(section, "metrics", metrics_keys, [&](const std::string&, const YAML::Node& v) {
    const std::string listen = r.text(v, "metrics.listen");
    const std::size_t colon = listen.rfind(':');
    const std::string_view host = std::string_view(listen).substr(0, colon);
    const std::string_view port = std::string_view(listen).substr(colon + 1);
    unsigned number = 0;
    const auto parsed = std::from_chars(port.data(), port.data() + port.size(), number);
    const bool ok =
        colon != std::string::npos && !host.empty() && parsed.ec == std::errc{} &&
        parsed.ptr == port.data() + port.size() && number >= 1 && number <= 65535 &&
        (host.find(':') == std::string_view::npos || (host.front() == '[' && host.back() == ']'));
    if (!ok)
      r.fail(v, "metrics.listen: expected host:port such as 127.0.0.1:9464, got '" + listen + "'");
    metrics.listen = listen;
  });
}

bool is_job_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string read_endpoint(const yaml_reader& r, const YAML::Node& node, const std::string& at) {
  std::string text = r.text(node, at);
  const auto parsed = boost::urls::parse_uri_reference(text);
  if (!parsed || parsed->has_scheme() || parsed->has_authority() || parsed->has_fragment()) {
    const std::string expected = "a path relative to api.base_url such as contracts/bulk_update/";
    r.fail(node, at + ": expected " + expected + ", got '" + text + "'");
  }
  if (text.starts_with('/')) text.erase(0, 1);
  if (text.empty()) r.fail(node, at + ": must name an endpoint such as contracts/bulk_update/");
  return text;
}

// A bad expression is reported at the offending field: the column is the value's plus the field's
// offset in it (plus the opening quote of a quoted value; escapes inside quotes are not counted).
schedule read_schedule(const yaml_reader& r, const YAML::Node& node, const std::string& at) {
  auto parsed = parse_schedule(node.Scalar());
  if (parsed) return std::move(*parsed);
  source_position where = r.position(node);
  if (where.column > 0)
    where.column += static_cast<int>(parsed.error().offset) + (node.Tag() == "!" ? 1 : 0);
  throw config_error(where, at + ": " + parsed.error().message);
}

static_assert(2 * max_payload_bytes + (std::size_t{1} << 20) <= journal_max_payload,
              "a run's intent record must fit in one journal frame");

// A body that the journal cannot hold would fail only when its run starts. Its resolved size
// does not depend on the moment: every template resolves to a fixed-width date or time.
// Returns the size, which read_jobs adds up.
std::size_t check_payload_size(const job_config& job, const std::string& path) {
  const std::size_t size =
      json::serialize(
          resolve_templates(job.payload, std::chrono::system_clock::now(), job.timezone))
          .size();
  if (size > max_payload_bytes)
    throw config_error(
        job.where, path + " ('" + job.name + "'): the payload is " + std::to_string(size) +
                       " bytes as JSON, templates resolved; at most " +
                       std::to_string(max_payload_bytes >> 20) + " MiB can be journaled and sent");
  return size;
}

job_config read_job(const yaml_reader& r, const YAML::Node& node, std::size_t index,
                    std::size_t& payload_bytes) {
  const std::string path = "jobs[" + std::to_string(index) + "]";
  if (!node.IsMap())
    r.fail(node,
           path + ": expected a mapping with at least name and payload, got " + describe(node));
  job_config job;
  job.where = r.position(node);
  bool named = false;
  bool has_payload = false;
  r.members(node, path, job_keys, [&](const std::string& key, const YAML::Node& v) {
    const std::string at = path + "." + key;
    if (key == "name") {
      job.name = r.text(v, at);
      if (!is_job_name(job.name))
        r.fail(v, at + ": '" + job.name + "' may hold only letters, digits, '.', '_' and '-'");
      named = true;
    } else if (key == "endpoint") {
      job.endpoint = read_endpoint(r, v, at);
    } else if (key == "schedule") {
      if (v.IsNull() || (v.IsScalar() && v.Scalar().empty()))
        r.fail(v, at + ": empty; leave the key out for a job that runs once");
      job.schedule = r.text(v, at);
      job.parsed_schedule = read_schedule(r, v, at);
    } else if (key == "timezone") {
      job.timezone = r.choice(v, at, timezones);
    } else if (key == "overlap") {
      job.overlap = r.choice(v, at, overlaps);
    } else if (key == "catch_up") {
      job.catch_up = r.span_of_time(v, at, max_catch_up);
    } else if (key == "payload") {
      if (!v.IsMap())
        r.fail(v, at + ": expected a mapping (the JSON request body), got " + describe(v));
      job.payload = r.to_json(v).as_object();
      if (const auto error = check_templates(job.payload)) r.fail(v, path + "." + *error);
      has_payload = true;
    } else if (key == "dismiss") {
      job.dismiss = r.boolean(v, at);
    }
  });
  if (!named) r.fail(node, path + ": missing required key 'name'");
  if (!has_payload) r.fail(node, path + " ('" + job.name + "'): missing required key 'payload'");
  payload_bytes += check_payload_size(job, path);
  // Many jobs whose payload is one alias each would expand, together, without bound.
  if (payload_bytes > max_total_payload_bytes)
    throw config_error(job.where, path + " ('" + job.name + "'): the payloads of the jobs up to " +
                                      "this one come to more than " +
                                      std::to_string(max_total_payload_bytes >> 20) +
                                      " MiB as JSON, each use of an alias counted");
  return job;
}

// Reads a file's `jobs` list into `out`, refusing a name already used in this or another file.
// `payload_bytes` adds up the payloads of every file read so far.
void read_jobs(const yaml_reader& r, const YAML::Node& list, std::vector<job_config>& out,
               std::map<std::string, source_position>& names, std::size_t& payload_bytes) {
  if (list.IsNull()) return;
  if (!list.IsSequence()) r.fail(list, "jobs: expected a list of jobs, got " + describe(list));
  out.reserve(out.size() + list.size());  // growth by doubling would leave up to half unused
  std::size_t index = 0;
  for (const YAML::Node& node : list) {
    job_config job = read_job(r, node, index++, payload_bytes);
    const auto [first, inserted] = names.emplace(job.name, job.where);
    if (!inserted)
      throw config_error(job.where, "duplicate job name '" + job.name + "'; first defined at " +
                                        format_location(first->second));
    out.push_back(std::move(job));
  }
}

// Expands the `include` list: a pattern may match nothing, a literal path must exist. The result
// is sorted and free of duplicates and of the main file itself (which "*.yaml" beside it matches).
std::vector<fs::path> expand_includes(const yaml_reader& r, const YAML::Node& list) {
  std::vector<fs::path> files;
  if (list.IsNull()) return files;
  if (!list.IsSequence())
    r.fail(list, "include: expected a list of files or patterns, got " + describe(list));
  std::size_t index = 0;
  for (const YAML::Node& entry : list) {
    const std::string at = "include[" + std::to_string(index++) + "]";
    const fs::path pattern = r.file_path(entry, at);
    if (entry.Scalar().find_first_of("*?[") != std::string::npos) {
      glob_t matches{};
      const int rc = glob(pattern.c_str(), GLOB_MARK, nullptr, &matches);
      const int error = errno;
      const std::unique_ptr<glob_t, void (*)(glob_t*)> owner(&matches, &globfree);
      if (rc == GLOB_NOMATCH) continue;
      if (rc != 0)
        r.fail(entry, at + ": cannot expand '" + pattern.string() +
                          "': " + (rc == GLOB_NOSPACE ? "out of memory" : std::strerror(error)));
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
        const std::string_view match = matches.gl_pathv[i];
        if (!match.ends_with('/')) files.push_back(fs::path(match).lexically_normal());  // a dir
      }
    } else {
      struct stat st {};
      if (::stat(pattern.c_str(), &st) != 0)
        r.fail(entry, at + ": cannot read '" + pattern.string() + "': " + std::strerror(errno));
      if (S_ISDIR(st.st_mode))
        r.fail(entry, at + ": '" + pattern.string() + "' is a directory; write '" +
                          (fs::path(entry.Scalar()) / "*.yaml").string() +
                          "' to include its files");
      files.push_back(pattern);
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  std::erase_if(files, [&](const fs::path& f) {
    std::error_code ec;
    return f == r.file() || fs::equivalent(f, r.file(), ec);
  });
  return files;
}

// Object keys sorted at every level, so that the digest ignores the order they were written in.
void canonical_json(const json::value& v, std::string& out) {
  if (const json::object* o = v.if_object()) {
    std::vector<const json::key_value_pair*> members;
    for (const auto& m : *o) members.push_back(&m);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      out += (i > 0 ? "," : "") + json::serialize(json::string(members[i]->key())) + ":";
      canonical_json(members[i]->value(), out);
    }
    out += '}';
  } else if (const json::array* a = v.if_array()) {
    out += '[';
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i > 0) out += ',';
      canonical_json((*a)[i], out);
    }
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

config_error::config_error(source_position where, const std::string& message)
    : std::runtime_error(where.file.empty() ? message : format_location(where) + ": " + message),
      where_(std::move(where)) {}

std::string job_config::revision() const {
  std::string text;
  canonical_json(json::object{{"endpoint", endpoint}, {"payload", payload}}, text);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available from OpenSSL");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8 && i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

const job_config* config::find_job(std::string_view name) const {
  if (indexed_jobs_ != jobs.size() || job_index_.empty() != jobs.empty()) {
    job_index_.clear();
    for (std::size_t i = 0; i < jobs.size(); ++i) job_index_.try_emplace(jobs[i].name, i);
    indexed_jobs_ = jobs.size();
  }
  // Heterogeneous lookup needs C++20's transparent unordered_map, not in libstdc++ 12: one
  // short string per lookup is still far cheaper than the scan.
  if (auto it = job_index_.find(std::string(name));
      it != job_index_.end() && it->second < jobs.size() && jobs[it->second].name == name)
    return &jobs[it->second];
  for (const job_config& job : jobs)
    if (job.name == name) return &job;
  return nullptr;
}

namespace {

// load_config without its guard; `current` names the file being read, for errors that do not.
config read_config(const fs::path& file, fs::path& current) {
  config cfg;
  cfg.file = current = fs::absolute(file).lexically_normal();
  const yaml_file main = load_yaml(cfg.file);
  const yaml_reader r(main);
  if (!main.root.IsNull() && !main.root.IsMap())
    r.fail(main.root,
           "expected a mapping with api, polling, state, metrics, include and jobs, "
           "got " +
               describe(main.root));

  std::map<std::string, YAML::Node> sections;
  r.members(main.root, "", top_keys,
            [&](const std::string& key, const YAML::Node& v) { sections.emplace(key, v); });
  // Sections are read in a fixed order, whatever order they were written in.
  if (!sections.contains("api"))
    throw config_error(r.position(main.root), "missing required section 'api' with base_url");
  read_api(r, sections["api"], cfg.api);
  if (sections.contains("polling")) read_polling(r, sections["polling"], cfg.polling);
  if (sections.contains("state"))
    r.members(sections["state"], "state", state_keys, [&](const std::string&, const YAML::Node& v) {
      cfg.state.journal = r.file_path(v, "state.journal");
      cfg.state.where = r.position(v);
    });
  if (cfg.state.journal.empty()) {
    cfg.state.where = {cfg.file};
    const auto directory = first_directory("STATE_DIRECTORY");
    cfg.state.journal = (directory ? *directory : cfg.file.parent_path()) / "zefortd.journal";
  }
  if (sections.contains("metrics")) read_metrics(r, sections["metrics"], cfg.metrics);

  std::map<std::string, source_position> names;
  std::size_t payload_bytes = 0;
  if (sections.contains("jobs")) read_jobs(r, sections["jobs"], cfg.jobs, names, payload_bytes);
  if (sections.contains("include")) cfg.included_files = expand_includes(r, sections["include"]);
  for (const fs::path& path : cfg.included_files) {
    current = path;
    const yaml_file included = load_yaml(path);
    const yaml_reader ir(included);
    if (!included.root.IsNull() && !included.root.IsMap())
      ir.fail(included.root, "expected a mapping with a jobs list, got " + describe(included.root));
    ir.members(included.root, "", job_file_keys, [&](const std::string& key, const YAML::Node& v) {
      if (key == "include") ir.fail(v, "include: only the main configuration file may include");
      read_jobs(ir, v, cfg.jobs, names, payload_bytes);
    });
  }
  return cfg;
}

// Whatever goes wrong while loading is a config_error, so that a caller (`serve`'s reload among
// them) needs to catch only that: yaml-cpp's own exceptions, a file system error, and running
// out of memory on a hostile file included.
config load_config_here(const fs::path& file) {
  fs::path current = file;
  try {
    return read_config(file, current);
  } catch (const config_error&) {
    throw;
  } catch (const YAML::Exception& e) {
    const YAML::Mark& m = e.mark;
    throw config_error(
        m.is_null() ? source_position{current} : source_position{current, m.line + 1, m.column + 1},
        e.msg);
  } catch (const std::bad_alloc&) {
    throw config_error({current}, "out of memory while loading; is this the right file?");
  } catch (const std::exception& e) {
    throw config_error({current}, e.what());
  }
}

}  // namespace

config load_config(const fs::path& file) {
  // The parse needs some 3 KB per job that the configuration does not: see built_apart.hpp.
  return built_apart([&file] { return load_config_here(file); });
}

fs::path default_config_path() {
  const auto directory = first_directory("CONFIGURATION_DIRECTORY");
  return (directory ? *directory : fs::path("/etc/zefortd")) / "zefortd.yaml";
}

}  // namespace zefortd
