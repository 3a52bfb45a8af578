#pragma once
// The tracking page and staff board (notifier/web/index.html), embedded into
// the binary at build time.

#include <string_view>

namespace orders::notifier {

std::string_view WebPage();

}  // namespace orders::notifier
