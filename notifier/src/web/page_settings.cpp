#include <orders/notifier/page_settings.hpp>

namespace orders::notifier {

PageSettingsResult LoadPageSettings(const std::map<std::string, std::string>& environment) {
  PageSettingsResult result;
  PageSettings settings;
  if (auto it = environment.find("WORKFLOW"); it != environment.end() && !it->second.empty()) {
    if (it->second == "on" || it->second == "off") {
      settings.workflow = it->second == "on";
    } else {
      result.problems.push_back("WORKFLOW must be on or off, got '" + it->second + "'");
    }
  }
  if (result.problems.empty()) result.settings = settings;
  return result;
}

std::string PageWithSettings(std::string page, const PageSettings& settings) {
  constexpr std::string_view kWorkflow = "{{WORKFLOW}}";
  if (auto at = page.find(kWorkflow); at != std::string::npos) {
    page.replace(at, kWorkflow.size(), settings.workflow ? "on" : "off");
  }
  return page;
}

}  // namespace orders::notifier
