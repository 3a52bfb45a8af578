#pragma once
// Runs one of the service binaries as a child process for a test: with the
// given environment added to the parent's, PORT=0, RATE_LIMIT=off and
// WORKFLOW=off unless set, stderr captured. Auth is on: JWT_SECRET = kTestJwtSecret (tokens.hpp)
// unless the environment sets AUTH (e.g. AUTH=off, said explicitly by the test)
// or its own JWT_SECRET.
// Start() waits for the service's {"msg":"listening","port":N} log line.
// The destructor sends SIGTERM (then SIGKILL after a deadline).
//
// A command service keeps a state store (COMMAND_STATE_DIR), as ./infra/run.sh
// runs it: unless the environment names a directory, each ServiceProcess gets
// one of its own, kept across its restarts (a restarted or SIGKILLed instance
// resumes from its checkpoint, as a real one would) and removed with the
// ServiceProcess. Another ServiceProcess on the same topics starts with an
// empty store (a full replay). Tests of the replay path without a store say
// so with WithoutStateStore().

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace orders::testing {

class ServiceProcess {
 public:
  ServiceProcess(std::string binary, std::map<std::string, std::string> environment);
  ~ServiceProcess();

  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Starts the process and waits for its listening line; false on timeout or exit.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGTERM, then waits; returns the exit code (or 128+signal, -1 on timeout).
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  void Kill();  // SIGKILL, waits
  // The environment of the next Start() (e.g. a restart under another consumer group), with the same
  // test defaults as the constructor's.
  void SetEnvironment(std::map<std::string, std::string> environment);

  std::uint16_t port() const { return port_.load(); }
  pid_t pid() const { return pid_; }
  bool running();
  std::vector<std::string> LogLines();
  std::string LogText();

 private:
  void ReadLoop(int fd);
  std::map<std::string, std::string> WithStateStore(std::map<std::string, std::string> environment);

  std::string binary_;
  std::string state_dir_;  // the command service's own COMMAND_STATE_DIR, once given
  std::map<std::string, std::string> environment_;
  pid_t pid_ = -1;
  std::atomic<std::uint16_t> port_{0};  // read by other threads (load drivers)
  std::thread reader_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// `environment` for a command service that runs without a state store (COMMAND_STATE_DIR unset): it
// replays both topics whole at every start.
std::map<std::string, std::string> WithoutStateStore(std::map<std::string, std::string> environment);

// The test process's environment with `extra` added (or overriding), as
// "NAME=value" entries for execve of a child process.
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& extra);

// Path of a service binary built by CMake (set through compile definitions).
std::string CommandServiceBinary();
std::string ProjectionServiceBinary();
std::string NotifierBinary();

}  // namespace orders::testing
