// Journal benchmarks, printed, never asserted: append throughput with and without group commit,
// replay of a 1,000,000-record journal, journal size after a batch. Files: $BENCH_DIR, else cwd.
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "../app/temp_dir.hpp"
#include "../app/tracked_journal.hpp"
#include "app/journal.hpp"
#include "core/run_machine.hpp"
#include "net/async_semaphore.hpp"
#include "storage/journal_file.hpp"

namespace zefortd {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Benchmark files go under $BENCH_DIR, else the working directory (a real disk, not tmpfs).
std::filesystem::path bench_root() {
  const char* env = std::getenv("BENCH_DIR");
  return env && *env ? std::filesystem::path(env) : std::filesystem::current_path();
}

// CPU time of the process: the machine may be shared, and wall time then counts the waits.
double cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void report(const char* name, const std::vector<double>& samples, const char* unit,
            int precision = 0) {
  std::printf("%s: %.*f %s (median of %zu)\n", name, precision, median(samples), unit,
              samples.size());
  std::fflush(stdout);
}

instant both_clocks();

unix_ms wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a real run writes: the resolved payload of the DESIGN's example job, a 12-hex run id.
std::string run_id(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "r-%012zx", i * 2654435761u % 0xffffffffffffULL);
  return buf;
}

const boost::json::object& example_body() {
  static const boost::json::object body =
      boost::json::parse(R"({"attributes":{"end_date":"2023-02-15"},"status":"done",)"
                         R"("search":{"q_tags":"contracts of service"}})")
          .as_object();
  return body;
}

intent_record make_intent(std::size_t i, const std::string& job, const std::string& batch,
                          unix_ms at) {
  intent_record r;
  r.run = run_id(i);
  r.job = job;
  r.revision = "9b1f0c2a4d6e8f3b5a7c9e1d3f5b7a9c";  // a SHA-256 prefix, as job_config::revision()
  r.batch = batch;
  r.endpoint = "contracts/bulk_update/";
  r.body = example_body();
  r.dismiss = true;
  r.at = at;
  return r;
}

// intent, submitted, finished, dismissed: the four records of a run that went well.
std::vector<journal_record> whole_run(std::size_t i, unix_ms at) {
  const std::string id = run_id(i);
  return {make_intent(i, "end-contracts-of-service", "", at),
          submitted_record{id, "tsk_" + std::to_string(100'000'000 + i), false, at + 150},
          finished_record{id, "done", "", 37, at + 9'000}, dismissed_record{id, at + 9'200}};
}

// --- (a) append throughput ---------------------------------------------------------------------

std::vector<std::string> payloads(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; out.size() < n; ++i)
    for (const auto& r : whole_run(i, 1'700'000'000'000 + 10'000 * static_cast<unix_ms>(i)))
      out.push_back(encode_record(r));
  out.resize(n);
  return out;
}

double file_records_per_second(std::size_t n, std::size_t per_sync) {
  temp_dir dir("zefortd-bench", bench_root());
  const auto records = payloads(n);
  journal_file file = journal_file::open({dir.path() / "bench.journal"});
  const auto start = clock_type::now();
  for (std::size_t i = 0; i < n; ++i) {
    file.append(records[i]);
    if ((i + 1) % per_sync == 0 || i + 1 == n) file.sync();
  }
  return static_cast<double>(n) / seconds_since(start);
}

// One of `group` coroutines in step: commits its runs' records one at a time. Parameters by
// value: a coroutine lambda's captures would die with the lambda.
asio::awaitable<void> commit_runs(tracked_journal* j, std::size_t first, std::size_t step,
                                  std::size_t runs) {
  for (std::size_t k = 0; k < runs; ++k) {
    const std::size_t i = first + k * step;
    for (auto& r : whole_run(i, 1'700'000'000'000 + 10'000 * static_cast<unix_ms>(i))) {
      std::vector<journal_record> one_record{std::move(r)};
      co_await j->commit(std::move(one_record));
    }
  }
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

// The same through app::journal: `group` coroutines commit in step, so that every turn of the
// loop commits `group` records with one fdatasync.
double app_records_per_second(std::size_t n, std::size_t group, std::uint64_t& syncs) {
  temp_dir dir("zefortd-bench", bench_root());
  asio::io_context ioc;
  tracked_journal j(ioc.get_executor(), journal_file::open({dir.path() / "bench.journal"}));
  const std::size_t runs_per_coroutine = n / group / 4;
  for (std::size_t c = 0; c < group; ++c)
    asio::co_spawn(ioc, commit_runs(&j, c, group, runs_per_coroutine), rethrow);
  const auto start = clock_type::now();
  ioc.run();
  const double secs = seconds_since(start);
  syncs = j.syncs();
  return static_cast<double>(runs_per_coroutine * group * 4) / secs;
}

void bench_throughput() {
  constexpr int reps = 5;
  constexpr std::size_t n_single = 2'000;
  constexpr std::size_t n_group = 40'000;
  std::vector<double> single, grouped, app;
  std::uint64_t syncs = 0;
  for (int r = 0; r < reps; ++r) {
    single.push_back(file_records_per_second(n_single, 1));
    grouped.push_back(file_records_per_second(n_group, 100));
    app.push_back(app_records_per_second(n_group, 100, syncs));
  }
  report("append, fdatasync per record (journal_file)", single, "records/s");
  report("append, group commit 100 records per fdatasync (journal_file)", grouped, "records/s");
  report("commit, 100 coroutines per turn (app::journal)", app, "records/s");
  std::printf("  (app::journal made %llu fdatasyncs for %zu records)\n",
              static_cast<unsigned long long>(syncs), n_group);
}

// --- (b) replay of 1,000,000 records -------------------------------------------------------------

void bench_replay() {
  constexpr std::size_t records = 1'000'000;
  constexpr int reps = 5;
  temp_dir dir("zefortd-bench", bench_root());
  const fs::path path = dir.path() / "big.journal";
  {
    // Built in memory and written once: how it got there does not matter to the replay.
    std::string image = encode_header();
    image.reserve(std::size_t{160} << 20);
    std::uint64_t seq = 0;
    for (std::size_t i = 0; seq < records; ++i)
      for (const auto& r : whole_run(i, 1'700'000'000'000 + 10'000 * static_cast<unix_ms>(i)))
        append_frame(image, ++seq, encode_record(r));
    std::ofstream out(path, std::ios::binary);
    out.write(image.data(), static_cast<std::streamsize>(image.size()));
  }
  std::printf("  (replay journal: %zu records, %.1f MB)\n", records,
              static_cast<double>(fs::file_size(path)) / 1e6);
  std::vector<double> open_ms, replay_ms, total_ms, cpu_ms, app_replay_ms;
  std::size_t runs = 0;
  for (int r = 0; r < reps; ++r) {
    const double cpu_start = cpu_seconds();
    const auto start = clock_type::now();
    journal_file file = journal_file::open({path});
    const double opened = seconds_since(start);
    journal_state state;
    if (auto e = replay_frames(file.frames(), state))
      throw std::runtime_error("replay: record " + std::to_string(e->seq) + ": " + e->message);
    const double total = seconds_since(start);
    cpu_ms.push_back((cpu_seconds() - cpu_start) * 1e3);
    runs = state.runs().size();
    open_ms.push_back(opened * 1e3);
    replay_ms.push_back((total - opened) * 1e3);
    total_ms.push_back(total * 1e3);
    // app::replay, which the daemon calls; it applies each record by copy until it calls
    // replay_frames.
    const auto app_start = clock_type::now();
    const journal_state app_state = replay(path, file.frames());
    app_replay_ms.push_back(seconds_since(app_start) * 1e3);
  }
  report("replay 1M records: journal_file::open (read, scan, CRC)", open_ms, "ms");
  report("replay 1M records: replay_frames() (decode, apply)", replay_ms, "ms");
  report("replay 1M records: open + replay", total_ms, "ms");
  report("replay 1M records: open + replay, CPU time", cpu_ms, "ms");
  report("replay 1M records: app replay() (decode, apply by copy)", app_replay_ms, "ms");
  std::printf("  (%zu runs replayed; page cache warm; CRC32C in %s)\n", runs,
              crc32c_in_hardware() ? "hardware (SSE4.2)" : "software (Boost.CRC)");

  // Where the time goes: each stage alone, on the same file. CPU time too: on a shared machine
  // the wall time counts the waits for a core.
  std::vector<double> read_ms, scan_ms, decode_ms, apply_ms;
  std::vector<double> read_cpu, scan_cpu, decode_cpu, apply_cpu;
  for (int r = 0; r < reps; ++r) {
    auto start = clock_type::now();
    double cpu = cpu_seconds();
    auto lap = [&](std::vector<double>& wall, std::vector<double>& on_cpu) {
      wall.push_back(seconds_since(start) * 1e3);
      on_cpu.push_back((cpu_seconds() - cpu) * 1e3);
      start = clock_type::now();
      cpu = cpu_seconds();
    };
    std::string bytes;
    if (auto ec = posix_file_io().read_all(path, bytes)) throw std::system_error(ec);
    lap(read_ms, read_cpu);
    scan_result scan = scan_journal(bytes);
    lap(scan_ms, scan_cpu);
    std::vector<journal_record> decoded;
    decoded.reserve(scan.frames.size());
    start = clock_type::now();
    cpu = cpu_seconds();
    std::string error;
    for (const auto& f : scan.frames) {
      if (auto record = decode_record(f.payload, error)) decoded.push_back(std::move(*record));
    }
    lap(decode_ms, decode_cpu);
    if (decoded.size() != scan.frames.size()) std::printf("  (decode failed: %s)\n", error.c_str());
    journal_state state;
    for (auto& record : decoded) (void)state.apply(std::move(record));
    lap(apply_ms, apply_cpu);
  }
  report("replay 1M records, stage: read the file", read_ms, "ms");
  report("replay 1M records, stage: scan_journal (framing, CRC32C, frames as views)", scan_ms,
         "ms");
  report("replay 1M records, stage: decode_record (JSON SAX parse, fields)", decode_ms, "ms");
  report("replay 1M records, stage: journal_state::apply (records moved in)", apply_ms, "ms");
  report("replay 1M records, stage CPU time: read", read_cpu, "ms");
  report("replay 1M records, stage CPU time: scan_journal", scan_cpu, "ms");
  report("replay 1M records, stage CPU time: decode_record", decode_cpu, "ms");
  report("replay 1M records, stage CPU time: journal_state::apply", apply_cpu, "ms");
}

// --- (c) the journal after a 10,000-job batch
// ------------------------------------------------------

// Stands in for the API: a task finishes after 0-3 polls, every answer comes in the next turn.
struct fake_api {
  std::map<std::string, unsigned> polls;

  task submit(const intent_record& intent) {
    task t;
    t.id = "tsk_" + intent.run.substr(2);
    t.backend_status = "pending";
    t.frontend_status = "pending";
    t.data = intent.body;
    return t;
  }
  task poll(const std::string& id) {
    task t;
    t.id = id;
    t.frontend_status = "pending";
    unsigned& n = polls[id];
    if (n++ < std::hash<std::string>{}(id) % 4) {
      t.backend_status = "started";
      return t;
    }
    t.backend_status = "done";
    boost::json::array contracts;
    for (int i = 0; i < 5; ++i) contracts.emplace_back("ct_" + std::to_string(i));
    boost::json::object data;
    data["contracts"] = std::move(contracts);
    t.data = std::move(data);
    return t;
  }
};

instant both_clocks() {
  return {wall_ms(), wall_ms()};
}

// The orchestrator's drive loop with the fake API: commit the step's records, then act.
asio::awaitable<void> drive(run_machine machine, tracked_journal* j, async_semaphore* submits,
                            fake_api* api, std::size_t* done) {
  auto executor = co_await asio::this_coro::executor;
  run_step step = machine.start(both_clocks());
  for (;;) {
    std::optional<semaphore_permit> permit;
    if (step.action.kind == action_kind::submit) {
      co_await submits->acquire();
      permit.emplace(*submits);
    }
    co_await j->commit(std::move(step.records));
    if (step.action.kind == action_kind::finish) break;
    co_await asio::post(executor, asio::use_awaitable);  // the request's round trip
    const run_state& s = machine.state();
    switch (step.action.kind) {
      case action_kind::submit: {
        task t = api->submit(s.intent);
        step = machine.on_submitted(t, both_clocks());
        break;
      }
      case action_kind::poll: {
        task t = api->poll(s.task);
        step = machine.on_polled(t, both_clocks());
        break;
      }
      case action_kind::dismiss:
        step = machine.on_dismissed(both_clocks());
        break;
      case action_kind::wait:
        step = machine.on_timer(both_clocks());
        break;
      case action_kind::lookup:
        step = machine.on_lookup(nullptr, both_clocks());
        break;
      case action_kind::finish:
        break;
    }
  }
  ++*done;
}

struct batch_result {
  double seconds = 0;
  std::uint64_t syncs = 0;
  std::uint64_t peak_bytes = 0;
  std::uint64_t end_bytes = 0;    // after the batch_end record
  std::uint64_t final_bytes = 0;  // after the orchestrator's end-of-batch compaction
  std::size_t live_records = 0;
  std::size_t live_run_bytes = 0;
  std::size_t live_other_bytes = 0;
};

// What `zefortd run` does for a batch: the batch record, every run driven at once (four
// submissions in flight), batch_end, then compaction if the file is over 64 KiB.
asio::awaitable<void> run_batch_coroutine(tracked_journal* j, fs::path path, std::size_t jobs,
                                          batch_result* out) {
  auto executor = co_await asio::this_coro::executor;
  async_semaphore submits(executor, 4);  // api.connections default
  fake_api api;
  const polling_config polling;  // the defaults: 2s .. 2m, give up after 1d
  std::vector<std::string> names;
  for (std::size_t i = 0; i < jobs; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "job-%05zu", i);
    names.push_back(buf);
  }
  const std::string batch = "b-5e1f0a3c7d2b";
  std::vector<journal_record> begin{batch_record{batch, names, wall_ms()}};
  co_await j->commit(std::move(begin));
  std::size_t done = 0;
  for (std::size_t i = 0; i < jobs; ++i) {
    run_machine m = run_machine::fresh(make_intent(i, names[i], batch, wall_ms()), polling, i);
    asio::co_spawn(executor, drive(std::move(m), j, &submits, &api, &done), rethrow);
  }
  asio::steady_timer tick(executor);
  while (done < jobs) {
    out->peak_bytes = std::max<std::uint64_t>(out->peak_bytes, fs::file_size(path));
    tick.expires_after(std::chrono::milliseconds(5));
    co_await tick.async_wait(asio::use_awaitable);
  }
  std::vector<journal_record> end{batch_end_record{batch, wall_ms()}};
  co_await j->commit(std::move(end));
  out->end_bytes = fs::file_size(path);
  out->peak_bytes = std::max(out->peak_bytes, out->end_bytes);
  j->compact_if_larger_than(64 * 1024);  // as the engine's end of a batch
  out->final_bytes = fs::file_size(path);
}

batch_result run_batch(std::size_t jobs) {
  temp_dir dir("zefortd-bench", bench_root());
  const fs::path path = dir.path() / "zefortd.journal";
  batch_result out;
  asio::io_context ioc;
  tracked_journal j(ioc.get_executor(), journal_file::open({path}));
  const auto start = clock_type::now();
  asio::co_spawn(ioc, run_batch_coroutine(&j, path, jobs, &out), rethrow);
  ioc.run();
  out.seconds = seconds_since(start);
  out.syncs = j.syncs();
  // What the compacted file holds (app::journal keeps the 20 most recent closed runs).
  for (const auto& r : j.state().live_records(20)) {
    const std::size_t bytes = encode_record(r).size() + journal_frame_header_size;
    const bool of_run = !std::holds_alternative<revision_seen_record>(r) &&
                        !std::holds_alternative<batch_record>(r);
    (of_run ? out.live_run_bytes : out.live_other_bytes) += bytes;
    ++out.live_records;
  }
  return out;
}

void bench_batch_size() {
  constexpr int reps = 5;
  constexpr std::size_t jobs = 10'000;
  std::vector<double> final_b, end_kb, peak_kb, secs, syncs;
  batch_result last;
  for (int r = 0; r < reps; ++r) {
    last = run_batch(jobs);
    final_b.push_back(static_cast<double>(last.final_bytes));
    end_kb.push_back(static_cast<double>(last.end_bytes) / 1024);
    peak_kb.push_back(static_cast<double>(last.peak_bytes) / 1024);
    secs.push_back(last.seconds);
    syncs.push_back(static_cast<double>(last.syncs));
  }
  report("10k-job batch: final journal size (after the end-of-batch compaction)", final_b, "bytes");
  report("10k-job batch: journal size at batch_end, before that compaction", end_kb, "KiB", 1);
  report("10k-job batch: peak journal size during the batch", peak_kb, "KiB", 1);
  report("10k-job batch: wall time", secs, "s", 2);
  report("10k-job batch: fdatasyncs", syncs, "syncs");
  std::printf("  (final live state: %zu records, %zu bytes of runs, %zu bytes of other records)\n",
              last.live_records, last.live_run_bytes, last.live_other_bytes);
}

}  // namespace
}  // namespace zefortd

int main(int argc, char** argv) {
  // Optional argument: which part to run (throughput, replay, batch); all by default.
  const std::string only = argc > 1 ? argv[1] : "";
  if (only.empty() || only == "throughput") zefortd::bench_throughput();
  if (only.empty() || only == "replay") zefortd::bench_replay();
  if (only.empty() || only == "batch") zefortd::bench_batch_size();
  return 0;
}
