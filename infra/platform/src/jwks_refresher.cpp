#include <orders/platform/jwks_refresher.hpp>

#include <orders/platform/log.hpp>

namespace orders::platform {

JwksRefresher::JwksRefresher(std::unique_ptr<JwksSource> source, std::shared_ptr<KeyStore> keys,
                             JwksRefreshOptions options, Clock clock)
    : source_(std::move(source)), keys_(std::move(keys)), options_(options), clock_(std::move(clock)) {}

JwksRefresher::~JwksRefresher() { Stop(); }

Result<void> JwksRefresher::Refresh() {
  std::lock_guard fetch(fetch_mutex_);
  {
    std::lock_guard state(state_mutex_);
    last_attempt_ = clock_();
  }
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
  if (parsed.keys->empty()) LogWarn("the JWKS holds no usable RS256 or ES256 key", {{"source", source_->Describe()}});
  keys_->Replace(std::move(*parsed.keys));
  return {};
}

bool JwksRefresher::RefreshForUnknownKid() {
  std::unique_lock lock(state_mutex_);
  if (!running_ || stopping_) return false;
  // Bounded so that tokens with made-up kids cannot make us hammer the source.
  if (last_attempt_ && clock_() - *last_attempt_ < options_.unknown_kid_gap) return false;
  last_attempt_ = clock_();
  const std::uint64_t target = completed_ + 1;
  requested_ = true;
  wake_.notify_one();
  done_.wait_for(lock, options_.unknown_kid_wait, [&] { return completed_ >= target || stopping_; });
  return completed_ >= target && last_ok_;
}

void JwksRefresher::Start() {
  std::lock_guard lock(state_mutex_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void JwksRefresher::Stop() {
  {
    std::lock_guard lock(state_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  done_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JwksRefresher::Loop() {
  std::unique_lock lock(state_mutex_);
  while (true) {
    wake_.wait_for(lock, options_.interval, [this] { return stopping_ || requested_; });
    if (stopping_) return;
    requested_ = false;
    lock.unlock();
    const bool ok = Refresh().ok();
    lock.lock();
    ++completed_;
    last_ok_ = ok;
    done_.notify_all();
  }
}

}  // namespace orders::platform
