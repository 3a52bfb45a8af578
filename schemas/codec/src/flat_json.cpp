#include <orders/codec/flat_json.hpp>

#include <algorithm>

#include <orders/codec/time_format.hpp>

namespace orders::codec {

// Recursive descent over the one shape FlatObject holds; every "no" is a
// plain false, and the caller falls back to the general parser.
class FlatParser {
 public:
  explicit FlatParser(std::string_view text) : text_(text) {}

  bool Object(FlatObject& object, bool allow_arrays) {
    if (!Eat('{')) return false;
    if (Eat('}')) return true;
    object.members_.reserve(8);
    do {
      FlatObject::Member member;
      bool escaped = false;
      if (!String(member.key, escaped) || escaped || !Eat(':')) return false;
      if (object.Find(member.key)) return false;  // the tree keeps the last one; leave that to it
      if (!Value(member.value, allow_arrays)) return false;
      object.members_.push_back(std::move(member));
    } while (Eat(','));
    return Eat('}');
  }

  bool AtEnd() const { return pos_ == text_.size(); }

 private:
  bool Eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool Value(FlatValue& value, bool allow_arrays) {
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '"') {
      value.kind = FlatValue::Kind::kString;
      return String(value.text, value.escaped);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      value.kind = FlatValue::Kind::kInteger;
      return Integer(value.integer);
    }
    if (c == '[' && allow_arrays) {
      value.kind = FlatValue::Kind::kArray;
      return Array(value.objects);
    }
    return false;
  }

  // Printable ASCII with \" and \\ as the only escapes: what the writers
  // produce for every id, currency, timestamp and most reasons.
  bool String(std::string_view& out, bool& escaped) {
    if (!Eat('"')) return false;
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') {
        out = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c < 0x20 || c > 0x7e) return false;
      if (c == '\\') {
        if (pos_ + 1 >= text_.size() || (text_[pos_ + 1] != '"' && text_[pos_ + 1] != '\\')) return false;
        escaped = true;
        ++pos_;
      }
      ++pos_;
    }
    return false;
  }

  // At most 18 digits, so the value fits without checks; no leading zeros,
  // no "-0", no fraction or exponent (those are the tree's to judge).
  bool Integer(std::int64_t& out) {
    const bool negative = Eat('-');
    const std::size_t start = pos_;
    std::int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (pos_ - start == 18) return false;
      value = value * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    const std::size_t digits = pos_ - start;
    if (digits == 0) return false;
    if (text_[start] == '0' && (digits > 1 || negative)) return false;
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) return false;
    out = negative ? -value : value;
    return true;
  }

  bool Array(std::vector<FlatObject>& objects) {
    if (!Eat('[')) return false;
    if (Eat(']')) return true;
    do {
      if (objects.size() > domain::kMaxItems) return false;
      objects.emplace_back();
      if (!Object(objects.back(), /*allow_arrays=*/false)) return false;
    } while (Eat(','));
    return Eat(']');
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<FlatObject> FlatObject::Parse(std::string_view text) {
  FlatObject object;
  FlatParser parser(text);
  if (!parser.Object(object, /*allow_arrays=*/true) || !parser.AtEnd()) return std::nullopt;
  return object;
}

const FlatValue* FlatObject::Find(std::string_view key) const {
  for (const auto& member : members_) {
    if (member.key == key) return &member.value;
  }
  return nullptr;
}

namespace {

std::string Unescape(const FlatValue& value) {
  if (!value.escaped) return std::string(value.text);
  std::string out;
  out.reserve(value.text.size());
  for (std::size_t i = 0; i < value.text.size(); ++i) {
    if (value.text[i] == '\\') ++i;  // the parser let only \" and \\ through
    out += value.text[i];
  }
  return out;
}

}  // namespace

const FlatValue* FlatReader::Find(const char* name, bool required, FlatValue::Kind kind) {
  const FlatValue* value = object_.Find(name);
  if (value && value->kind == kind) return value;
  if (value || required) Refuse(name);
  return nullptr;
}

std::optional<std::string> FlatReader::String(const char* name, bool required) {
  const FlatValue* value = Find(name, required, FlatValue::Kind::kString);
  if (!value) return std::nullopt;
  return Unescape(*value);
}

std::optional<std::int64_t> FlatReader::Integer(const char* name, bool required) {
  const FlatValue* value = Find(name, required, FlatValue::Kind::kInteger);
  if (!value) return std::nullopt;
  return value->integer;
}

std::int64_t FlatReader::EventVersion() {
  const auto version = Integer("version", true).value_or(0);
  if (version < 1) Refuse("version");
  return version;
}

domain::Timestamp FlatReader::EventTime() {
  const auto text = String("at", true);
  if (!text) return {};
  if (auto at = ParseTimestamp(*text)) return *at;
  Refuse("at");
  return {};
}

std::vector<domain::LineItem> FlatReader::LineItems(const char* name) {
  std::vector<domain::LineItem> items;
  const FlatValue* value = Find(name, true, FlatValue::Kind::kArray);
  if (!value) return items;
  items.reserve(value->objects.size());
  for (const auto& object : value->objects) {
    FlatReader item_reader(object);
    domain::LineItem item;
    item.product_id = item_reader.String("productId", true).value_or("");
    item.quantity = item_reader.Integer("quantity", true).value_or(0);
    item.unit_price_cents = item_reader.Integer("unitPriceCents", true).value_or(-1);
    item_reader.RejectUnknown({"productId", "quantity", "unitPriceCents"});
    if (!item_reader.errors().empty()) Refuse(name);
    items.push_back(std::move(item));
  }
  return items;
}

void FlatReader::RejectUnknown(std::initializer_list<std::string_view> known) {
  for (const auto& member : object_.members()) {
    if (std::find(known.begin(), known.end(), member.key) == known.end()) Refuse(member.key);
  }
}

}  // namespace orders::codec
