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
    auto sessions = std::move(pending_);
    pending_.clear();
    for (auto& session : sessions) session->Flush();
  });
}

}  // namespace orders::notifier
