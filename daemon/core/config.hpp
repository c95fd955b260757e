// The configuration model of DESIGN.md §2 and its loader. Loading is strict: unknown keys,
// wrong types, duplicate job names and bad durations throw config_error naming file:line:column.
#pragma once

#include <boost/json/object.hpp>
#include <boost/url/url.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/schedule.hpp"
#include "core/time_zone.hpp"

namespace zefortd {

using duration = std::chrono::milliseconds;

// The file a position is in, shared by every position in it: each of 20,000 jobs kept its own
// std::filesystem::path, some 250 bytes apiece, for a name that is the same for all of them.
class source_file {
 public:
  source_file() = default;
  source_file(std::filesystem::path p)  // NOLINT(google-explicit-constructor): a path is one
      : path_(p.empty() ? nullptr : std::make_shared<const std::filesystem::path>(std::move(p))) {}
  source_file(const char* p) : source_file(std::filesystem::path(p)) {}  // NOLINT: as a path

  const std::filesystem::path& path() const {
    static const std::filesystem::path none;
    return path_ ? *path_ : none;
  }
  operator const std::filesystem::path&() const { return path(); }  // NOLINT: reads as a path
  std::string string() const { return path().string(); }
  bool empty() const { return !path_; }
  friend bool operator==(const source_file& a, const std::filesystem::path& b) {
    return a.path() == b;
  }

 private:
  std::shared_ptr<const std::filesystem::path> path_;
};

// Where a value was written, for error messages. line and column are 1-based.
struct source_position {
  source_file file;
  int line = 0;
  int column = 0;
};

// A configuration error: "FILE:LINE:COLUMN: message". Thrown only while loading.
class config_error : public std::runtime_error {
 public:
  config_error(source_position where, const std::string& message);
  const source_position& where() const { return where_; }

 private:
  source_position where_;
};

struct api_config {
  boost::urls::url base_url;  // always ends with '/', scheme https (http only for loopback)
  std::optional<std::filesystem::path> api_key_file;
  std::optional<std::filesystem::path> ca_file;
  duration timeout{std::chrono::seconds(30)};
  unsigned connections = 4;
  double rate_limit = 10;  // requests per second, 0 = unlimited
  // No other client creates or dismisses tasks with this key: a task in the list that zefortd
  // never saw before one of its in-doubt POSTs can only be that POST's (README: "Census").
  bool exclusive = false;
};

struct polling_config {
  duration initial_delay{std::chrono::seconds(2)};
  duration max_delay{std::chrono::minutes(2)};
  double multiplier = 2;
  duration give_up_after{std::chrono::hours(24)};
  unsigned list_above = 50;
  bool dismiss_foreign = false;
};

struct state_config {
  std::filesystem::path journal;  // resolved: explicit, $STATE_DIRECTORY, or beside the file
  source_position where;          // where state.journal is written; the file alone if defaulted
};

struct metrics_config {
  std::optional<std::string> listen;  // "host:port"
};

enum class overlap_policy { skip, allow };

// The largest request body a job may have, as JSON with its templates resolved. A run's journal
// record holds the body, and a journal frame at most 16 MiB: this leaves room for the record's
// other fields and for the body kept as an escaped string (which can double its size).
inline constexpr std::size_t max_payload_bytes = std::size_t{4} << 20;
// All the payloads of a configuration together (main file and included files), which aliases
// could otherwise multiply without bound: one anchored payload used by thousands of jobs.
inline constexpr std::size_t max_total_payload_bytes = std::size_t{16} << 20;

struct job_config {
  std::string name;
  std::string endpoint = "contracts/bulk_update/";
  std::optional<std::string> schedule;               // as written, for display
  std::optional<zefortd::schedule> parsed_schedule;  // the same, parsed; firing is the engine's
  job_timezone timezone = job_timezone::utc;
  overlap_policy overlap = overlap_policy::skip;
  duration catch_up{std::chrono::hours(1)};
  boost::json::object payload;  // as written: templates such as "{{ today }}" unresolved
  bool dismiss = true;
  source_position where;  // where the job's entry begins

  // Identifies this job's definition (endpoint + unresolved payload): a change of payload is a
  // new revision. Stable across runs and machines (hex digest of a canonical serialisation).
  std::string revision() const;
};

struct config {
  std::filesystem::path file;  // the main file, absolute
  api_config api;
  polling_config polling;
  state_config state;
  metrics_config metrics;
  std::vector<std::filesystem::path> included_files;  // what `include` globs matched, sorted
  std::vector<job_config> jobs;                       // main file first, then includes in order

  // By name, in O(1): the engine asks once per run it starts, and a scan of 5,000 jobs per
  // start was the largest single cost of a 5,000-job batch. `jobs` stays a public vector that
  // tests and reloads edit, so the index is a cache that checks each hit and is rebuilt when
  // the vector changed size; a miss falls back to a scan, so an edit in place is never missed.
  const job_config* find_job(std::string_view name) const;

 private:
  mutable std::unordered_map<std::string, std::size_t> job_index_;
  mutable std::size_t indexed_jobs_ = 0;
};

// Reads the main file and every included job file. Throws config_error, and nothing else: any
// other failure while loading is turned into one naming the file (and line, where known).
config load_config(const std::filesystem::path& file);

// The default configuration path: $CONFIGURATION_DIRECTORY/zefortd.yaml under systemd, else
// /etc/zefortd/zefortd.yaml.
std::filesystem::path default_config_path();

}  // namespace zefortd
