#pragma once
// A WebSocket session's queue of frames waiting to be written, holding memory
// only while it holds frames. Most connections are idle most of the time: a
// std::deque keeps a 512-byte block and its map even when empty, and a
// vector keeps its capacity, which over tens of thousands of connections is
// most of what an idle one costs. So the queue is a vector read from a moving
// head, compacted as the head passes half of it, and released entirely once
// drained. Frames are shared immutable buffers (SendBatcher).

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace orders::notifier {

using SharedFrame = std::shared_ptr<const std::string>;

class Outbox {
 public:
  bool empty() const { return head_ == frames_.size(); }
  std::size_t size() const { return frames_.size() - head_; }
  // Bytes of the frames queued (all of them, a partly written front one included).
  std::size_t bytes() const { return bytes_; }
  // Bytes the queue's own storage takes (its slots, not the frames it points to).
  std::size_t storage_bytes() const { return frames_.capacity() * sizeof(SharedFrame); }

  const SharedFrame& front() const { return frames_[head_]; }
  const SharedFrame& at(std::size_t i) const { return frames_[head_ + i]; }
  const SharedFrame& back() const { return frames_.back(); }

  void push_back(SharedFrame frame);
  void push_front(SharedFrame frame);
  void pop_front();
  void pop_back();
  void clear();

 private:
  // Gives the storage back once nothing is queued.
  void ReleaseIfEmpty();

  std::vector<SharedFrame> frames_;
  std::size_t head_ = 0;  // frames_[0, head_) are written and empty
  std::size_t bytes_ = 0;
};

}  // namespace orders::notifier
