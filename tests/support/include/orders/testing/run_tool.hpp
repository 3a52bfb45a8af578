#pragma once
// Runs one of the repository's checking tools (tests/tools/*.py) with text on
// its stdin, for tests that hand a contract check to the tool that owns it.

#include <string>

namespace orders::testing {

struct ToolResult {
  int exit_status = -1;
  std::string output;  // stdout and stderr
};

// `arguments` may name repository files by relative path ("schemas/openapi.yaml");
// they are resolved against the source tree.
ToolResult RunPythonTool(const std::string& tool, const std::string& arguments, const std::string& input);

// An absolute path into the source tree.
std::string SourcePath(const std::string& relative);

}  // namespace orders::testing
