#include <orders/platform/jwks_refresher.hpp>

#include <orders/platform/log.hpp>

namespace orders::platform {

JwksRefresher::JwksRefresher(std::unique_ptr<JwksSource> source, std::shared_ptr<KeyStore> keys,
                             JwksRefreshOptions options, Clock clock)
    : source_(std::move(source)), keys_(std::move(keys)), options_(options), clock_(std::move(clock)) {}

JwksRefresher::~JwksRefresher() { Stop(); }

Result<void> JwksRefresher::Refresh() {
  std::lock_guard lock(fetch_mutex_);
  return RefreshLocked();
}

bool JwksRefresher::RefreshForUnknownKid() {
  std::lock_guard lock(fetch_mutex_);
  // Bounded so that tokens with made-up kids cannot make us hammer the source.
  if (last_attempt_ && clock_() - *last_attempt_ < options_.unknown_kid_gap) return false;
  return RefreshLocked().ok();
}

Result<void> JwksRefresher::RefreshLocked() {
  last_attempt_ = clock_();
  const LogFields where = {{"source", source_->Describe()}, {"keysKept", keys_->size()}};
  auto document = source_->Fetch();
  if (!document) {
    LogWarn("cannot read the JWKS; keeping the previous keys",
            {{"source", source_->Describe()}, {"keysKept", keys_->size()}, {"error", document.error().message}});
    return document.error();
  }
  auto parsed = ParseJwks(*document);
  if (!parsed.keys) {
    LogWarn("the JWKS is not valid; keeping the previous keys",
            {{"source", source_->Describe()}, {"keysKept", keys_->size()}, {"error", parsed.error}});
    return Error{parsed.error};
  }
  if (parsed.keys->empty()) LogWarn("the JWKS holds no usable RS256 or ES256 key", where);
  keys_->Replace(std::move(*parsed.keys));
  return {};
}

void JwksRefresher::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void JwksRefresher::Stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JwksRefresher::Loop() {
  std::unique_lock lock(stop_mutex_);
  while (!stop_signal_.wait_for(lock, options_.interval, [this] { return stopping_; })) {
    lock.unlock();
    (void)Refresh();
    lock.lock();
  }
}

}  // namespace orders::platform
