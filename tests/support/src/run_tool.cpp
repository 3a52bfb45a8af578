#include <orders/testing/run_tool.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include <orders/testing/test_env.hpp>

namespace orders::testing {

std::string SourcePath(const std::string& relative) { return std::string(ORDERS_SOURCE_DIR) + "/" + relative; }

ToolResult RunPythonTool(const std::string& tool, const std::string& arguments, const std::string& input) {
  const std::string input_file = "/tmp/" + UniqueName("tool-input") + ".jsonl";
  std::ofstream(input_file) << input;
  const std::string command = "cd " + std::string(ORDERS_SOURCE_DIR) + " && /usr/bin/python3 " + SourcePath(tool) +
                              " " + arguments + " < " + input_file + " 2>&1";
  ToolResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    result.output = "cannot run " + tool;
    std::remove(input_file.c_str());
    return result;
  }
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) result.output += buffer;
  const int status = ::pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::remove(input_file.c_str());
  return result;
}

}  // namespace orders::testing
