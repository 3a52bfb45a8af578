#include <orders/notifier/outbox.hpp>

namespace orders::notifier {

void Outbox::push_back(SharedFrame frame) {
  bytes_ += frame->size();
  frames_.push_back(std::move(frame));
}

void Outbox::push_front(SharedFrame frame) {
  bytes_ += frame->size();
  if (head_ > 0) {
    frames_[--head_] = std::move(frame);
    return;
  }
  frames_.insert(frames_.begin(), std::move(frame));  // rare (a pong) and short
}

void Outbox::pop_front() {
  bytes_ -= frames_[head_]->size();
  frames_[head_++].reset();
  if (empty()) {
    ReleaseIfEmpty();
    return;
  }
  // Slots before the head are dead: drop them once they are half the vector.
  if (head_ * 2 >= frames_.size()) {
    frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void Outbox::pop_back() {
  bytes_ -= frames_.back()->size();
  frames_.pop_back();
  ReleaseIfEmpty();
}

void Outbox::clear() {
  head_ = frames_.size();
  ReleaseIfEmpty();
}

void Outbox::ReleaseIfEmpty() {
  if (!empty()) return;
  std::vector<SharedFrame>().swap(frames_);
  head_ = 0;
  bytes_ = 0;
}

}  // namespace orders::notifier
