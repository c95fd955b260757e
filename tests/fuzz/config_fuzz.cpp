// libFuzzer target: a configuration file from arbitrary bytes. load_config promises to throw
// config_error and nothing else, within the limits of README "Limits", whatever the file holds.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "core/config.hpp"

namespace fs = std::filesystem;

namespace {

// One directory for the whole run: the main file, and a job file that `include` may name.
const fs::path& work_dir() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "zefortd-config-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    std::ofstream(fs::path(tmpl) / "jobs.yaml")
        << "jobs:\n  - name: included\n    payload: {search: {tag: x}}\n";
    ::unsetenv("STATE_DIRECTORY");
    ::unsetenv("CONFIGURATION_DIRECTORY");
    return fs::path(tmpl);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // `include` may name any file or glob on the machine; a fuzzer that finds "/**" or "/proc/*"
  // would measure the file system, not the loader. Includes stay inside the work directory.
  if (text.find("include") != std::string_view::npos &&
      (text.find('/') != std::string_view::npos || text.find('~') != std::string_view::npos))
    return 0;
  const fs::path file = work_dir() / "zefortd.yaml";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  try {
    const zefortd::config cfg = zefortd::load_config(file);
    for (const auto& job : cfg.jobs) (void)job.revision();
  } catch (const zefortd::config_error&) {
    // The expected answer to a bad file. Anything else escapes and is a finding.
  }
  return 0;
}
