// Namespace aliases and the completion token shared by the network edge.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace zefortd {
namespace asio = boost::asio;

// Failure is normal at the edge: operations report it as a value, `auto [ec, n] = co_await ...`.
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace zefortd
