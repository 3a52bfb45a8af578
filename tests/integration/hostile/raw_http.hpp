#pragma once
// Raw-socket tools for the hostile-input tests: connections that send exactly
// the given bytes (and may keep sending slowly), a reader that collects every
// response until the server closes, and probes of a service process's open
// file descriptors and resident memory.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orders::testing::hostile {

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends every byte; false when the server closed or reset the connection first.
  bool Send(const std::string& bytes);
  // Reads until the server closes the connection, `count` responses are
  // complete, or the timeout passes.
  std::string Read(std::chrono::milliseconds timeout, std::size_t count = 1);
  // The next whole response (taken off what was read), if one arrives in time.
  std::optional<struct RawResponse> NextResponse(std::chrono::milliseconds timeout);
  // True when the server has closed (or reset) the connection by now.
  bool ClosedByServer(std::chrono::milliseconds wait = std::chrono::milliseconds(0));

 private:
  int fd_ = -1;
  std::string pending_;
  bool closed_ = false;
};

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// Splits bytes into responses framed by Content-Length (bodies without one end the list).
std::vector<RawResponse> SplitResponses(const std::string& bytes);

// The first marker of internal text (library names, exception texts, stack
// frames, parser messages) found in `text`, or empty.
std::string InternalTextIn(const std::string& text);

// Entries of /proc/<pid>/fd; -1 when unreadable.
int OpenDescriptors(pid_t pid);
// VmRSS of /proc/<pid>/status in KiB; -1 when unreadable.
long ResidentKib(pid_t pid);

}  // namespace orders::testing::hostile
