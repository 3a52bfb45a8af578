#pragma once
// Keeps a KeyStore in step with a JWKS source: re-read every `interval` on a
// background thread, and at once (at most once per `unknown_kid_gap`) when a
// token names a kid the store lacks, so a rotated key works without a restart.
// A source that is down or serves something that is not a JWKS leaves the
// previous keys in use and logs a warning: the service keeps serving.
//
// Fetches run on the background thread (or the caller of Refresh), never on a
// request thread: RefreshForUnknownKid only asks for one and waits at most
// `unknown_kid_wait`, so a slow key server cannot stall request handling.
//
// Thread-safety: Refresh and RefreshForUnknownKid may be called from any
// thread (fetches are serialised); Start/Stop from the owner's thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <orders/platform/jwks_source.hpp>
#include <orders/platform/key_store.hpp>

namespace orders::platform {

struct JwksRefreshOptions {
  std::chrono::milliseconds interval{std::chrono::minutes(5)};
  std::chrono::milliseconds unknown_kid_gap{std::chrono::seconds(10)};
  std::chrono::milliseconds unknown_kid_wait{200};
};

class JwksRefresher {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  JwksRefresher(
      std::unique_ptr<JwksSource> source, std::shared_ptr<KeyStore> keys, JwksRefreshOptions options,
      Clock clock = [] { return std::chrono::steady_clock::now(); });
  ~JwksRefresher();

  // Fetches and replaces the keys now; false (previous keys kept, warning
  // logged) when the source fails or is not a JWKS.
  Result<void> Refresh();
  // Asks the background thread to re-read now, unless a re-read was attempted
  // within unknown_kid_gap, and waits up to unknown_kid_wait for it; true when
  // the keys were re-read in that time. False when the thread is not running.
  bool RefreshForUnknownKid();

  void Start();  // the periodic thread
  void Stop();

 private:
  void Loop();

  std::unique_ptr<JwksSource> source_;
  std::shared_ptr<KeyStore> keys_;
  JwksRefreshOptions options_;
  Clock clock_;
  std::mutex fetch_mutex_;  // one fetch at a time
  // Guarded by state_mutex_:
  std::mutex state_mutex_;
  std::condition_variable wake_;  // to the thread: stop, or a re-read is requested
  std::condition_variable done_;  // from the thread: a re-read finished
  std::optional<std::chrono::steady_clock::time_point> last_attempt_;
  bool running_ = false;
  bool stopping_ = false;
  bool requested_ = false;
  std::uint64_t completed_ = 0;  // re-reads the thread finished
  bool last_ok_ = false;
  std::thread thread_;
};

}  // namespace orders::platform
