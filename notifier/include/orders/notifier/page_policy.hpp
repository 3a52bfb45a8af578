#pragma once
// What the page may talk to, as HTTP headers and as the page text. Pure.
//
// The page sends the staff's Bearer token to the command API. It may call
// its own host on the three service ports (8080-8082, http or https) and the
// origins configured in PAGE_API_ORIGINS; the page's script refuses any
// other ?api= and the Content-Security-Policy's connect-src says the same to
// the browser, so even a script bug cannot send the token elsewhere.

#include <string>
#include <string_view>
#include <vector>

#include <orders/platform/restinio/exchange.hpp>

namespace orders::notifier {

// The page with the configured API origins filled into its meta tag.
std::string PageWithApiOrigins(std::string_view page, const std::vector<std::string>& api_origins);

// Headers for the page: Content-Security-Policy (connect-src: the page's own
// WebSocket origin, its host's service ports, the configured origins;
// `host_header` is used only when it is a plain host[:port]), nosniff,
// Referrer-Policy no-referrer, frame-ancestors 'none', no caching.
platform::http::HeaderList PageHeaders(std::string_view host_header, const std::vector<std::string>& api_origins);

// Headers for the page's script and style sheet.
platform::http::HeaderList AssetHeaders();

}  // namespace orders::notifier
