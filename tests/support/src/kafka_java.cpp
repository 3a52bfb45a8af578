#include <orders/testing/kafka_java.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <orders/testing/run_tool.hpp>

namespace orders::testing {

std::string KafkaLibs() {
  namespace fs = std::filesystem;
  if (const char* libs = std::getenv("ORDERS_KAFKA_LIBS")) return libs;
  if (const char* pid_file = std::getenv("ORDERS_KAFKA_PID_FILE")) {
    const auto candidate = fs::path(pid_file).parent_path() / "kafka-libs";
    if (fs::exists(candidate)) return candidate.string();
  }
  return SourcePath(".local/kafka-libs");
}

pid_t RunKafkaJava(const std::string& libs, const std::string& directory, const std::vector<std::string>& arguments,
                   const std::string& log, bool wait) {
  std::vector<std::string> argv = {"java",
                                   "-Xms128m",
                                   "-Xmx384m",
                                   "-XX:+UseG1GC",
                                   "-Djava.awt.headless=true",
                                   "-Dkafka.logs.dir=" + directory + "/logs",
                                   "-Dlog4j2.configurationFile=" + SourcePath("infra/local/log4j2.properties"),
                                   "-cp",
                                   libs + "/*"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    ::execvp("java", args.data());
    std::_Exit(127);
  }
  if (!wait) return pid;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace orders::testing
