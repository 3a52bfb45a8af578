#pragma once
// Rows for `COPY <table> FROM STDIN` in PostgreSQL's text format, built in one
// growing buffer: fields separated by tabs, rows by newlines, NULL as \N, and
// backslash, tab, newline and carriage return escaped. Escaping byte by byte
// is safe for UTF-8, whose multi-byte sequences contain no ASCII bytes.
// PostgreSQL text cannot hold NUL: it becomes U+FFFD, as PgText does. Pure, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <orders/domain/order.hpp>

namespace orders::projection {

class CopyRows {
 public:
  CopyRows& Text(std::string_view text);
  CopyRows& NullableText(const std::optional<std::string>& text);  // nullopt: NULL
  CopyRows& Integer(std::int64_t value);
  // A timestamptz, exactly (PgTimestamp in sql_text.hpp).
  CopyRows& Timestamp(domain::Timestamp at);
  void EndRow();

  std::size_t rows() const { return rows_; }
  // Every row, each ending with a newline.
  const std::string& data() const { return data_; }
  // The rows without the last newline (COPY senders add one per line they
  // send); leaves this empty.
  std::string TakeLines();

 private:
  void Separate();

  std::string data_;
  std::size_t rows_ = 0;
  bool row_started_ = false;
};

}  // namespace orders::projection
