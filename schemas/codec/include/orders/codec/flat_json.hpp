#pragma once
// A reader for the JSON text this platform's own writers produce for events:
// one object whose members are strings of printable ASCII, integers, or arrays
// of such objects (line items), with no whitespace. Reading it in place skips
// building a JSON tree, which was most of the cost of decoding an event.
//
// It is only a fast path. FlatObject::Parse says no to anything outside that
// shape (whitespace, null, floats, escapes other than \" and \\, non-ASCII
// bytes, deeper nesting, repeated keys), and FlatReader reports any field it
// does not like; in both cases the caller reads the text through ParseJson and
// FieldReader, whose answers and error messages are the reference.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orders/domain/order.hpp>
#include <orders/domain/validation.hpp>

namespace orders::codec {

class FlatObject;

struct FlatValue {
  enum class Kind { kString, kInteger, kArray };
  Kind kind = Kind::kString;
  std::string_view text;  // kString: the raw text between the quotes
  bool escaped = false;   // kString: `text` holds \" or \\ to undo
  std::int64_t integer = 0;
  std::vector<FlatObject> objects;  // kArray
};

class FlatObject {
 public:
  struct Member {
    std::string_view key;
    FlatValue value;
  };

  // The object when `text` is entirely one such object, else none.
  static std::optional<FlatObject> Parse(std::string_view text);

  const FlatValue* Find(std::string_view key) const;
  const std::vector<Member>& members() const { return members_; }

 private:
  friend class FlatParser;
  std::vector<Member> members_;
};

// The FieldReader calls the event decoder makes, over a FlatObject. Any
// problem is recorded as an error; the caller then reads the text the general
// way, so these errors never reach anyone and only say "not here".
class FlatReader {
 public:
  explicit FlatReader(const FlatObject& object) : object_(object) {}

  std::optional<std::string> String(const char* name, bool required);
  std::optional<std::int64_t> Integer(const char* name, bool required);
  std::int64_t EventVersion();
  domain::Timestamp EventTime();
  // What ReadLineItems reads from a tree, for the member `name`.
  std::vector<domain::LineItem> LineItems(const char* name);
  void RejectUnknown(std::initializer_list<std::string_view> known);

  std::vector<domain::FieldError>& errors() { return errors_; }

 private:
  // The member `name` when it is of `kind`; refuses it when it is of another
  // kind, or absent and required.
  const FlatValue* Find(const char* name, bool required, FlatValue::Kind kind);
  void Refuse(std::string_view name) { errors_.push_back({std::string(name), "not read here"}); }

  const FlatObject& object_;
  std::vector<domain::FieldError> errors_;
};

}  // namespace orders::codec
