#pragma once
// A file descriptor closed when its owner goes: the blocking HTTP clients' sockets.

#include <unistd.h>

namespace orders::platform {

class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace orders::platform
