#include "pg/copy_rows.hpp"

#include <charconv>

#include "pg/sql_text.hpp"

namespace orders::projection {

void CopyRows::Separate() {
  if (row_started_) data_.push_back('\t');
  row_started_ = true;
}

CopyRows& CopyRows::Text(std::string_view text) {
  Separate();
  for (char c : text) {
    switch (c) {
      case '\\':
        data_ += "\\\\";
        break;
      case '\t':
        data_ += "\\t";
        break;
      case '\n':
        data_ += "\\n";
        break;
      case '\r':
        data_ += "\\r";
        break;
      case '\0':
        data_ += "\xEF\xBF\xBD";
        break;
      default:
        data_.push_back(c);
    }
  }
  return *this;
}

CopyRows& CopyRows::NullableText(const std::optional<std::string>& text) {
  if (text) return Text(std::string_view(*text));
  Separate();
  data_ += "\\N";
  return *this;
}

CopyRows& CopyRows::Integer(std::int64_t value) {
  Separate();
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  data_.append(digits, result.ptr);
  return *this;
}

CopyRows& CopyRows::Timestamp(domain::Timestamp at) {
  Separate();
  AppendPgTimestamp(data_, at);
  return *this;
}

std::string CopyRows::TakeLines() {
  std::string lines = std::move(data_);
  if (!lines.empty()) lines.pop_back();
  data_.clear();
  rows_ = 0;
  row_started_ = false;
  return lines;
}

void CopyRows::EndRow() {
  data_.push_back('\n');
  row_started_ = false;
  ++rows_;
}

}  // namespace orders::projection
