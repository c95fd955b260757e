// The one translation unit that compiles Asio, Asio SSL and Beast (separate compilation keeps
// builds on two cores bearable). Nothing else includes these .ipp sources.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
