// The text of `zefortd --help` and `zefortd COMMAND --help`: each command's flags, the files it
// reads and its exit statuses, with the statuses taken from core/exit_code.hpp.
#pragma once

#include <string>
#include <string_view>

namespace zefortd {

// The general help for an empty `command`, else that command's (serve, run, validate, status,
// journal). An unknown name gets the general help.
std::string help_text(std::string_view command = {});

}  // namespace zefortd
