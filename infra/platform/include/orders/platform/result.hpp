#pragma once
// Result<T>: a value or an Error, for operations whose failure is expected and reported to a caller
// (a broker that refuses a setting, a port already taken, a database that is down). Exceptions stay
// for the unexpected and are caught once at the edge (per request, per consumer loop).
//
//   Result<std::uint16_t> port = server.Start();
//   if (!port) { LogError(port.error().message); return 1; }
//   Use(*port);
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace orders::platform {

// Why an operation failed, in words fit for an operator's log (never for a client).
struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return Checked(), std::get<0>(state_); }
  const T& value() const& { return Checked(), std::get<0>(state_); }
  T&& value() && { return Checked(), std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Only on failure.
  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  void Checked() const { assert(ok()); }
  std::variant<T, Error> state_;
};

// Success carries nothing; failure carries the Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

// Shorthand for `return Error{...}` where the message is built in place.
inline Error Fail(std::string message) { return Error{std::move(message)}; }

}  // namespace orders::platform
