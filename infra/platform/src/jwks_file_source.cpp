#include <orders/platform/jwks_source.hpp>

#include <fstream>
#include <sstream>

namespace orders::platform {
namespace {

constexpr std::size_t kMaxDocumentBytes = 1 << 20;

class FileSource final : public JwksSource {
 public:
  explicit FileSource(std::string path) : path_(std::move(path)) {}

  Result<std::string> Fetch() override {
    std::ifstream file(path_, std::ios::binary);
    if (!file) return Error{"cannot open " + path_};
    std::string text(kMaxDocumentBytes + 1, '\0');
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (file.bad()) return Error{"cannot read " + path_};
    text.resize(static_cast<std::size_t>(file.gcount()));
    if (text.size() > kMaxDocumentBytes) return Error{path_ + " is larger than 1 MiB"};
    return text;
  }

  std::string Describe() const override { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<JwksSource> FileJwksSource(std::string path) { return std::make_unique<FileSource>(std::move(path)); }

}  // namespace orders::platform
