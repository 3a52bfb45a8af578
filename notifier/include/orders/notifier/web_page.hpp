#pragma once
// The tracking page and staff board (notifier/web/: index.html, app.js,
// app.css), embedded into the binary at build time. The page has no inline
// script or style, so it runs under a strict Content-Security-Policy.

#include <string_view>

namespace orders::notifier {

std::string_view WebPage();    // index.html, with the {{API_ORIGINS}} placeholder
std::string_view WebScript();  // app.js
std::string_view WebStyle();   // app.css

}  // namespace orders::notifier
