#pragma once
// What the web page must know about the platform around it, read once at start
// from the environment (the same variables the other services read, so one
// environment configures them alike). Pure.
//
//   WORKFLOW  on|off, default on: whether the command service runs the fulfilment
//             workflow. On, a `pending` order waits for stock and payment and the
//             workflow confirms it; the staff board then offers no manual
//             "confirm" for it (the command API would answer 409 awaiting-payment).

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orders::notifier {

struct PageSettings {
  bool workflow = true;
};

struct PageSettingsResult {
  std::optional<PageSettings> settings;
  std::vector<std::string> problems;  // empty when settings is set
};

PageSettingsResult LoadPageSettings(const std::map<std::string, std::string>& environment);

// The page with the settings filled into its meta tags ({{WORKFLOW}} -> on|off).
std::string PageWithSettings(std::string page, const PageSettings& settings);

}  // namespace orders::notifier
