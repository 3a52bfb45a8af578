#include <orders/notifier/send_batcher.hpp>

#include <orders/notifier/frame_codec.hpp>

namespace orders::notifier {

SharedFrame SendBatcher::TextFrame(const std::string& text) {
  if (!last_frame_ || text != last_text_) {
    last_text_ = text;
    last_frame_ = std::make_shared<const std::string>(EncodeFrame(Opcode::kText, text));
  }
  return last_frame_;
}

void SendBatcher::FlushLater(std::shared_ptr<Flushable> session) {
  pending_.push_back(std::move(session));
  if (posted_) return;
  posted_ = true;
  asio::post(io_, [this] {
    posted_ = false;
    // Swapped with the list flushed last time rather than moved out, so both
    // keep their capacity: a fan-out to thousands of sessions then grows no
    // vector per event (each growth was a large allocation, and glibc
    // consolidates its free small blocks before every one).
    flushing_.swap(pending_);
    for (auto& session : flushing_) session->Flush();
    flushing_.clear();
  });
}

}  // namespace orders::notifier
