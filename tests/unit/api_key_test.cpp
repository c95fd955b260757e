// Tests for core/api_key: the lookup order with temporary files and a fake environment, the
// permission warning, trimming, errors that name the place but never the key, and the header.
#include "core/api_key.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <string>

namespace zefortd {
namespace {

namespace fs = std::filesystem;

// The example key of the reference, and what basic_auth_header makes of it.
constexpr std::string_view example_key = "ySLE1mhh6lfRsYa";
constexpr std::string_view example_header = "Basic eVNMRTFtaGg2bGZSc1lhOg==";

template <class T>
concept streamable = requires(std::ostream& out, const T& value) {
  out << value;
};
static_assert(!streamable<secret>, "a secret must not be printable");
static_assert(!std::is_convertible_v<secret, std::string_view>);
static_assert(!std::is_convertible_v<secret, std::string>);

class ApiKey : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "zefortd-api-key-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    env_.getenv = [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, std::string_view contents, mode_t mode = 0600) {
    const fs::path file = dir_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << contents;
    ::chmod(file.c_str(), mode);
    return file;
  }

  key_result find() { return find_api_key(api_, env_, warnings_); }

  // Every message a caller could print, for the no-leak checks.
  void expect_no_key_material(const key_result& r) {
    if (!r) {
      EXPECT_EQ(r.error().message().find(example_key), std::string::npos) << r.error().message();
    }
    for (const auto& w : warnings_) EXPECT_EQ(w.find(example_key), std::string::npos) << w;
  }

  fs::path dir_;
  std::map<std::string, std::string, std::less<>> vars_;
  key_lookup_env env_;
  api_config api_;
  std::vector<std::string> warnings_;
};

TEST_F(ApiKey, ConfiguredFileComesFirst) {
  api_.api_key_file = write("configured", "from-file\n");
  write("creds/api-key", "from-credentials");
  vars_["CREDENTIALS_DIRECTORY"] = (dir_ / "creds").string();
  vars_["ZEFORT_APIKEY"] = "from-env";
  auto key = find();
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->reveal(), "from-file");
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(ApiKey, CredentialsDirectoryBeforeEnvironment) {
  write("creds/api-key", "from-credentials");
  vars_["CREDENTIALS_DIRECTORY"] = (dir_ / "creds").string();
  vars_["ZEFORT_APIKEY"] = "from-env";
  auto key = find();
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->reveal(), "from-credentials");
}

TEST_F(ApiKey, EnvironmentWhenCredentialsDirectoryLacksTheKey) {
  fs::create_directories(dir_ / "creds");
  vars_["CREDENTIALS_DIRECTORY"] = (dir_ / "creds").string();
  vars_["ZEFORT_APIKEY"] = "from-env";
  auto key = find();
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->reveal(), "from-env");

  vars_["CREDENTIALS_DIRECTORY"] = "";  // set but empty counts as unset
  key = find();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->reveal(), "from-env");
}

TEST_F(ApiKey, NowhereIsAnErrorNamingTheThreePlaces) {
  auto key = find();
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code(), make_error_code(errc::no_api_key));
  const std::string m = key.error().message();
  EXPECT_NE(m.find("api_key_file"), std::string::npos) << m;
  EXPECT_NE(m.find("CREDENTIALS_DIRECTORY"), std::string::npos) << m;
  EXPECT_NE(m.find("ZEFORT_APIKEY"), std::string::npos) << m;
  EXPECT_THROW(key.value(), std::runtime_error);
}

TEST_F(ApiKey, ConfiguredFileMissingNeverFallsThrough) {
  api_.api_key_file = dir_ / "does-not-exist";
  vars_["ZEFORT_APIKEY"] = std::string(example_key);
  auto key = find();
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code(), make_error_code(errc::api_key_unreadable));
  EXPECT_EQ(key.error().message(),
            "api key file " + (dir_ / "does-not-exist").string() + ": " + std::strerror(ENOENT));
  expect_no_key_material(key);
}

TEST_F(ApiKey, UnreadableFileNamesFileAndReason) {
  // A directory stands in for an unreadable file: tests may run as root, who reads mode 000.
  fs::create_directories(dir_ / "a-directory");
  api_.api_key_file = dir_ / "a-directory";
  auto key = find();
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code(), make_error_code(errc::api_key_unreadable));
  EXPECT_NE(key.error().message().find((dir_ / "a-directory").string()), std::string::npos);
  EXPECT_NE(key.error().message().find(std::strerror(EISDIR)), std::string::npos);

  // In the credentials directory only absence falls through, not a broken file.
  fs::create_directories(dir_ / "creds/api-key");
  api_.api_key_file.reset();
  vars_["CREDENTIALS_DIRECTORY"] = (dir_ / "creds").string();
  vars_["ZEFORT_APIKEY"] = "from-env";
  key = find();
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code(), make_error_code(errc::api_key_unreadable));
}

TEST_F(ApiKey, WarnsWhenGroupOrOthersCanRead) {
  api_.api_key_file = write("loose", std::string(example_key), 0644);
  auto key = find();
  ASSERT_TRUE(key);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0], "api key file " + api_.api_key_file->string() +
                              " is readable by group/others; chmod 600 it");
  expect_no_key_material(key);

  warnings_.clear();
  ::chmod(api_.api_key_file->c_str(), 0640);
  ASSERT_TRUE(find());
  EXPECT_EQ(warnings_.size(), 1u);

  warnings_.clear();
  ::chmod(api_.api_key_file->c_str(), 0400);
  ASSERT_TRUE(find());
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(ApiKey, TrailingNewlineAndSpacesAreTrimmed) {
  for (const char* contents : {"ySLE1mhh6lfRsYa\n", "ySLE1mhh6lfRsYa\r\n", "ySLE1mhh6lfRsYa  \n\n",
                               "ySLE1mhh6lfRsYa", "  ySLE1mhh6lfRsYa\t\n"}) {
    api_.api_key_file = write("key", contents);
    auto key = find();
    ASSERT_TRUE(key) << key.error().message();
    EXPECT_EQ(key->reveal(), example_key);
  }
  vars_["ZEFORT_APIKEY"] = std::string(example_key) + "\n";
  api_.api_key_file.reset();
  auto key = find();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->reveal(), example_key);
}

// Notepad starts a UTF-8 file with EF BB BF. It went into the Basic credentials, and every
// request failed with 401.
TEST_F(ApiKey, AByteOrderMarkIsNotPartOfTheKeyAndNotSent) {
  for (const std::string contents :
       {std::string("\xEF\xBB\xBF") + std::string(example_key) + "\r\n",
        std::string("\xEF\xBB\xBF ") + std::string(example_key)}) {
    api_.api_key_file = write("key", contents);
    auto key = find();
    ASSERT_TRUE(key) << key.error().message();
    EXPECT_EQ(key->reveal(), example_key);
    EXPECT_EQ(basic_auth_header(*key), example_header);
  }
  api_.api_key_file = write("key", "\xEF\xBB\xBF\n");
  auto key = find();
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().message().find("is empty"), std::string::npos) << key.error().message();
}

TEST_F(ApiKey, EmptyKeyIsAnError) {
  for (const char* contents : {"", "\n", "  \r\n\t"}) {
    api_.api_key_file = write("empty", contents);
    auto key = find();
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code(), make_error_code(errc::bad_api_key));
    EXPECT_EQ(key.error().message(), "api key file " + api_.api_key_file->string() + " is empty");
  }
  api_.api_key_file.reset();
  vars_["ZEFORT_APIKEY"] = "";
  auto key = find();
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().message(), "environment variable ZEFORT_APIKEY is empty");
}

TEST_F(ApiKey, MoreThanAKeyIsRefusedWithoutQuotingIt) {
  for (const std::string& contents : std::vector<std::string>{
           std::string(example_key) + "\nsecond line", "user:" + std::string(example_key)}) {
    api_.api_key_file = write("odd", contents);
    auto key = find();
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code(), make_error_code(errc::bad_api_key));
    expect_no_key_material(key);
  }
  api_.api_key_file = write("huge", std::string(100000, 'k'));
  auto key = find();
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code(), make_error_code(errc::bad_api_key));
}

TEST_F(ApiKey, ErrorConvertsToPlainResult) {
  boost::system::result<secret> plain = find();
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error(), make_error_code(errc::no_api_key));

  vars_["ZEFORT_APIKEY"] = "k";
  plain = find();
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->reveal(), "k");
}

TEST(ApiKeyHeader, BasicAuthOfTheReferenceKey) {
  EXPECT_EQ(basic_auth_header(secret(example_key)), example_header);
  EXPECT_EQ(basic_auth_header(secret("a")), "Basic YTo=");
  EXPECT_EQ(basic_auth_header(secret("ab")), "Basic YWI6");
  EXPECT_EQ(basic_auth_header(secret("")), "Basic Og==");
}

TEST(ApiKeySecret, CopiesAreIndependentAndMovesEmptyTheSource) {
  secret a(example_key);
  secret b = a;
  EXPECT_EQ(b.reveal(), example_key);
  secret c = std::move(a);
  EXPECT_EQ(c.reveal(), example_key);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  b = secret("other");
  EXPECT_EQ(b.reveal(), "other");
  b = c;
  EXPECT_EQ(b.reveal(), example_key);
  b = std::move(c);
  EXPECT_EQ(b.reveal(), example_key);
  EXPECT_TRUE(secret().empty());
}

}  // namespace
}  // namespace zefortd
