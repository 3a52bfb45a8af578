#include "pg/sql_text.hpp"

namespace orders::projection {

std::string ArrayLiteral(const std::vector<std::optional<std::string>>& elements) {
  std::string out = "{";
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (!elements[i]) {
      out += "NULL";
      continue;
    }
    out.push_back('"');
    for (char c : *elements[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::string ArrayLiteral(const std::vector<std::string>& elements) {
  return ArrayLiteral(std::vector<std::optional<std::string>>(elements.begin(), elements.end()));
}

std::string PgText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\0') {
      out += "\xEF\xBF\xBD";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PrintableText(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  for (char c : bytes.substr(0, max_bytes)) out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0F]);
  }
  return out;
}

namespace {

void AppendDigits(std::string& out, int value, int width) {
  char digits[8];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<std::size_t>(width));
}

}  // namespace

void AppendPgTimestamp(std::string& out, domain::Timestamp at) {
  using namespace std::chrono;
  const auto day = floor<days>(at);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> time{at - day};
  const int year = static_cast<int>(ymd.year());
  AppendDigits(out, year > 0 ? year : 1 - year, 4);
  out.push_back('-');
  AppendDigits(out, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  out.push_back('-');
  AppendDigits(out, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  out.push_back(' ');
  AppendDigits(out, static_cast<int>(time.hours().count()), 2);
  out.push_back(':');
  AppendDigits(out, static_cast<int>(time.minutes().count()), 2);
  out.push_back(':');
  AppendDigits(out, static_cast<int>(time.seconds().count()), 2);
  out.push_back('.');
  AppendDigits(out, static_cast<int>(time.subseconds().count()), 3);
  out += year > 0 ? "+00" : "+00 BC";
}

std::string PgTimestamp(domain::Timestamp at) {
  std::string out;
  AppendPgTimestamp(out, at);
  return out;
}

}  // namespace orders::projection
