#include <orders/testing/private_postgres.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <orders/testing/eventually.hpp>
#include <pqxx/pqxx>

extern char** environ;

namespace orders::testing {
namespace {

std::uint16_t FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Letters and digits only, so the password needs no escaping in a URL or in SQL.
std::string RandomPassword() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device random;
  std::string password(32, 'x');
  for (char& c : password) c = kAlphabet[random() % (sizeof kAlphabet - 1)];
  return password;
}

std::string Tail(const std::string& text, std::size_t bytes = 2000) {
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

// Alive and not a zombie waiting to be reaped by someone else.
bool ProcessAlive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const auto close_paren = stat.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < stat.size() && stat[close_paren + 2] != 'Z';
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadFile(entry.path().string() + "/stat");
    const auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(close_paren + 2));
    char state = 0;
    pid_t ppid = 0;
    fields >> state >> ppid;
    if (ppid == parent) children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

}  // namespace

PrivatePostgres::PrivatePostgres(PrivatePostgresOptions options, std::string directory)
    : options_(std::move(options)), directory_(std::move(directory)), password_(RandomPassword()) {}

std::unique_ptr<PrivatePostgres> PrivatePostgres::Create(std::string& error, PrivatePostgresOptions options) {
  if (const char* bin = std::getenv("ORDERS_PG_BIN"); bin && *bin) options.bin_dir = bin;
  char pattern[] = "/tmp/orders-pg-XXXXXX";
  if (!::mkdtemp(pattern)) {
    error = "cannot create a temporary directory";
    return nullptr;
  }
  std::unique_ptr<PrivatePostgres> cluster(new PrivatePostgres(std::move(options), pattern));
  if (!cluster->Initialize(error) || !cluster->Start(error) || !cluster->CreateDatabase(error)) return nullptr;
  return cluster;
}

PrivatePostgres::~PrivatePostgres() {
  std::string ignored;
  // A clean stop also removes the server's SysV shared memory segment.
  if (Running() && !Stop(ignored)) Kill();
  std::error_code code;
  std::filesystem::remove_all(directory_, code);
}

std::string PrivatePostgres::Url() const {
  return "postgresql://" + options_.role + ":" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" +
         options_.database;
}

bool PrivatePostgres::Initialize(std::string& error) {
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (!user) {
      error = "running as root but there is no postgres OS user to run the server";
      return false;
    }
    if (::chown(directory_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      error = "cannot hand " + directory_ + " to the postgres user";
      return false;
    }
    run_as_postgres_ = true;
  }
  port_ = FreeLoopbackPort();
  if (port_ == 0) {
    error = "no free loopback port";
    return false;
  }
  const std::string log = directory_ + "/initdb.log";
  if (RunTool("initdb",
              {"-D", directory_ + "/data", "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
               "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"},
              log) != 0) {
    error = "initdb failed: " + Tail(ReadFile(log));
    return false;
  }
  std::ofstream conf(directory_ + "/data/postgresql.conf", std::ios::app);
  conf << "listen_addresses = '127.0.0.1'\n"
       << "port = " << port_ << "\n"
       << "unix_socket_directories = '" << directory_ << "'\n"
       << "fsync = off\nfull_page_writes = off\n"
       << "max_connections = 60\nshared_buffers = 64MB\n";
  for (const auto& line : options_.settings) conf << line << "\n";
  conf.close();
  if (!conf) {
    error = "cannot write postgresql.conf";
    return false;
  }
  return true;
}

bool PrivatePostgres::CreateDatabase(std::string& error) {
  try {
    // The superuser only through the socket in our own directory; the role the services use is an
    // ordinary one with a password, as on the local stack (infra/lib/common.sh).
    pqxx::connection connection("host=" + directory_ + " port=" + std::to_string(port_) +
                                " user=postgres dbname=postgres");
    pqxx::nontransaction tx(connection);
    tx.exec0("CREATE ROLE " + tx.quote_name(options_.role) + " LOGIN PASSWORD " + tx.quote(password_));
    tx.exec0("CREATE DATABASE " + tx.quote_name(options_.database) + " OWNER " + tx.quote_name(options_.role));
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot create the database: ") + e.what();
    return false;
  }
}

bool PrivatePostgres::Start(std::string& error) {
  const std::string log = directory_ + "/pg_ctl.log";
  if (RunTool("pg_ctl", {"-D", directory_ + "/data", "-l", directory_ + "/server.log", "-w", "-t", "60", "start"},
              log) != 0) {
    error = "pg_ctl start failed: " + Tail(ReadFile(log)) + "\n" + Tail(LogText());
    return false;
  }
  return true;
}

bool PrivatePostgres::Stop(std::string& error) {
  const std::string log = directory_ + "/pg_ctl.log";
  if (RunTool("pg_ctl", {"-D", directory_ + "/data", "-m", "fast", "-w", "-t", "30", "stop"}, log) != 0) {
    error = "pg_ctl stop failed: " + Tail(ReadFile(log));
    return false;
  }
  return true;
}

void PrivatePostgres::Kill() {
  const pid_t postmaster = PostmasterPid();
  if (!ProcessAlive(postmaster)) return;
  // Frozen first, so it forks no new backend while its children are collected.
  ::kill(postmaster, SIGSTOP);
  std::vector<pid_t> processes = ChildrenOf(postmaster);
  processes.push_back(postmaster);
  for (pid_t pid : processes) ::kill(pid, SIGKILL);
  Eventually(
      [&] {
        for (pid_t pid : processes) {
          if (ProcessAlive(pid)) return false;
        }
        return true;
      },
      std::chrono::seconds(10));
  // What PostgreSQL itself would clean up at its next start once the old
  // processes are gone (they may linger as zombies until reaped, and a zombie
  // still "owns" the lock files): the stale lock files and the detached segment.
  std::istringstream lines(ReadFile(directory_ + "/data/postmaster.pid"));
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (number != 7) continue;
    std::istringstream fields(line);
    long key = 0;
    int shm_id = -1;
    if (fields >> key >> shm_id && shm_id >= 0) ::shmctl(shm_id, IPC_RMID, nullptr);
  }
  std::error_code code;
  std::filesystem::remove(directory_ + "/data/postmaster.pid", code);
  const std::string socket = directory_ + "/.s.PGSQL." + std::to_string(port_);
  std::filesystem::remove(socket + ".lock", code);
  std::filesystem::remove(socket, code);
}

bool PrivatePostgres::Running() const { return ProcessAlive(PostmasterPid()); }

std::string PrivatePostgres::LogText() const { return ReadFile(directory_ + "/server.log"); }

pid_t PrivatePostgres::PostmasterPid() const {
  std::ifstream in(directory_ + "/data/postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

int PrivatePostgres::RunTool(const std::string& program, const std::vector<std::string>& arguments,
                             const std::string& log) const {
  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed (the test has threads).
  std::vector<std::string> storage{options_.bin_dir + "/" + program};
  storage.insert(storage.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& argument : storage) argv.push_back(argument.data());
  argv.push_back(nullptr);
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  if (run_as_postgres_) {
    const passwd* user = ::getpwnam("postgres");
    if (!user) return -1;
    uid = user->pw_uid;
    gid = user->pw_gid;
  }
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return -1;
  const pid_t child = ::fork();
  if (child == 0) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close_range(3, ~0U, 0);  // the server must not inherit the test's sockets
    if (run_as_postgres_ && (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) ::_exit(126);
    if (::chdir(directory_.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  ::close(log_fd);
  if (child < 0) return -1;
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace orders::testing
