// Who zefortd trusts and what it tells: an unknown CA or a certificate for another host is
// refused before any request leaves, a wrong or missing key gives a clear error, and the key
// itself never reaches an output stream or the journal.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/api_key.hpp"
#include "harness.hpp"

namespace zefortd::it {
namespace {

TEST(Trust, ServerSignedByAnUnknownCaIsRefused) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "100ms", "--quiet"});
  auto options = options_for(sb, dir.path());
  options.ca_file.reset();  // the system store does not know the sandbox's CA
  auto config = write_config(dir / "zefortd.yaml", options, {example_job("one", "one")});

  auto r = run_batch(config);
  EXPECT_TRUE(r.exited(3)) << r.describe();
  EXPECT_TRUE(contains(r.err, "certificate verify failed"));
  EXPECT_TRUE(contains(r.err, "ca_file")) << "the message should say what to do";
  auto stats = sb.stats();
  EXPECT_EQ(sandbox::count(stats, "requests"), 0u);
  EXPECT_EQ(sandbox::count(stats, "submissions"), 0u);
}

TEST(Trust, HostNameMustMatchTheCertificate) {
  temp_dir dir;
  {
    // The certificate carries DNS:localhost, IP:127.0.0.1 and IP:::1: "localhost" is accepted.
    sandbox sb(dir.path(), {"--task-duration", "100ms", "--quiet"});
    auto options = options_for(sb, dir.path());
    options.base_url = "https://localhost:" + std::to_string(sb.port()) + "/api";
    auto config = write_config(dir / "localhost.yaml", options, {example_job("one", "one")});
    auto r = run_batch(config);
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ(sandbox::count(sb.stats(), "submissions"), 1u);
  }

  // The same certificate served on 127.0.0.2 (still loopback on Linux) does not name that
  // address: refused at the handshake, nothing sent.
  fs::create_directories(dir / "other");
  std::optional<sandbox> other;
  try {
    other.emplace(dir / "other",
                  std::vector<std::string>{"--listen", "127.0.0.2:0", "--task-duration", "100ms"});
  } catch (const std::exception& e) {
    GTEST_SKIP() << "cannot listen on 127.0.0.2 here: " << e.what();
  }
  ASSERT_EQ(other->host(), "127.0.0.2");
  auto options = options_for(*other, dir / "other");
  auto config = write_config(dir / "other" / "zefortd.yaml", options, {example_job("one", "one")});
  auto r = run_batch(config);
  EXPECT_TRUE(r.exited(3)) << r.describe();
  EXPECT_TRUE(contains(r.err, "certificate verify failed"));
  // stats() would be refused by the same check, so the sandbox's own log is the witness: a
  // handshake it saw fail, and no request.
  auto log_file = other->log_file();
  other.reset();
  auto log = read_file(log_file);
  EXPECT_TRUE(contains(log, "TLS handshake failed"));
  EXPECT_TRUE(lacks(log, " -> "));
}

TEST(Trust, WrongKeyIsRefusedWithAClearMessage) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "100ms", "--quiet"});
  auto config =
      write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), {example_job("one", "one")});

  auto r = run_zefortd({"run", "-c", config.string()}, key_env("not-the-key"));
  EXPECT_TRUE(r.exited(3)) << r.describe();
  EXPECT_TRUE(contains(r.err, "401"));
  EXPECT_TRUE(contains(r.err, "API key"));
  EXPECT_EQ(sandbox::count(sb.stats(), "submissions"), 0u);
}

TEST(Trust, MissingKeyNamesEveryPlaceItIsLookedFor) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "100ms", "--quiet"});
  auto config =
      write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), {example_job("one", "one")});

  auto r = run_zefortd({"run", "-c", config.string()}, {});
  EXPECT_TRUE(r.exited(2)) << r.describe();
  EXPECT_TRUE(contains(r.err, "api_key_file"));
  EXPECT_TRUE(contains(r.err, "CREDENTIALS_DIRECTORY"));
  EXPECT_TRUE(contains(r.err, "ZEFORT_APIKEY"));
  EXPECT_EQ(sandbox::count(sb.stats(), "requests"), 0u);
}

// Every form in which a key could leak: as is, and as the Basic credentials sent on the wire.
std::vector<std::string> leak_forms(const std::string& key) {
  std::string header = basic_auth_header(secret(key));
  return {key, header.substr(header.find(' ') + 1)};
}

TEST(Trust, KeyNeverLeaks) {
  const std::string key = "zk-live-Q7vT3mXw9pLr2Kd8";
  const std::string wrong = "zk-live-WRONG-h4Jc6nBz1s";
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "100ms:300ms", "--quiet"}, key);
  auto options = options_for(sb, dir.path());
  auto jobs = numbered_jobs(5);
  jobs.push_back(example_job("doomed", "doomed", "sandbox_fail: true"));
  auto config = write_config(dir / "zefortd.yaml", options, jobs);

  std::vector<process_result> results;
  const std::vector<std::string> debug = {"--log-level", "debug"};
  auto run = [&](std::vector<std::string> args, const env_map& env) {
    args.insert(args.end(), {"-c", config.string()});
    results.push_back(run_zefortd(args, env));
    return results.back();
  };

  auto ok = run({"run", "--log-level", "debug"}, key_env(key));
  EXPECT_TRUE(ok.exited(1)) << ok.describe();  // the doomed job fails in the backend
  auto refused = run({"run", "--log-level", "debug"}, key_env(wrong));
  EXPECT_TRUE(refused.exited(3)) << refused.describe();
  auto dry = run({"run", "--dry-run", "--log-level", "debug"}, key_env(key));
  EXPECT_TRUE(dry.exited(0)) << dry.describe();
  EXPECT_TRUE(contains(dry.out, "job 3"));
  run({"status"}, key_env(key));
  run({"status", "--json"}, key_env(key));
  run({"validate"}, key_env(key));
  run({"journal", "check"}, key_env(key));

  // The same through api_key_file, and with a key file others may read (which draws a warning).
  auto key_file = dir / "api-key";
  {
    std::ofstream out(key_file);
    out << key << "\n";
  }
  ::chmod(key_file.c_str(), 0644);
  options.api_key_file = key_file;
  write_config(config, options, jobs);
  auto from_file = run({"run", "--log-level", "debug"}, {});
  EXPECT_TRUE(from_file.exited(1)) << from_file.describe();
  EXPECT_TRUE(contains(from_file.err, "api-key")) << "a readable key file draws a warning";
  run({"validate"}, {});
  run({"run", "--dry-run"}, {});

  EXPECT_EQ(sandbox::count(sb.stats(), "submissions"), 12u);
  for (const auto& secret_text : {key, wrong}) {
    for (const auto& form : leak_forms(secret_text)) {
      for (const auto& r : results) {
        EXPECT_TRUE(lacks(r.out, form)) << "stdout";
        EXPECT_TRUE(lacks(r.err, form)) << "stderr";
      }
      // The journal and anything zefortd kept beside it (copies, compaction leftovers).
      for (const auto& entry : fs::directory_iterator(dir.path())) {
        auto name = entry.path().filename().string();
        if (name.rfind("zefortd.journal", 0) != 0) continue;
        EXPECT_TRUE(lacks(read_file(entry.path()), form)) << entry.path();
      }
    }
  }
  EXPECT_TRUE(fs::exists(options.journal));
}

}  // namespace
}  // namespace zefortd::it
