#pragma once
// What an order costs the notifier's memory, estimated from the objects
// themselves: the heap blocks behind strings and vectors, sized the way
// glibc's malloc sizes them. The order cache keeps its byte budget with it
// (order_cache.hpp). Pure and cheap: no walk over anything but the one order
// or event asked about.
//
// "Honest" means capacities, not sizes (a string that shrank keeps its
// block), malloc's header and rounding, and nothing for a string short
// enough to live inside its own object (the small-string buffer).

#include <cstddef>
#include <string>
#include <vector>

#include <orders/domain/events.hpp>

namespace orders::notifier {

// The bytes malloc takes for a block of `requested` bytes: an 8-byte header,
// rounded up to 16, at least 32 (glibc on 64-bit). 0 for nothing asked.
constexpr std::size_t HeapBlock(std::size_t requested) {
  if (requested == 0) return 0;
  const std::size_t chunk = (requested + 8 + 15) & ~std::size_t{15};
  return chunk < 32 ? 32 : chunk;
}

// Heap bytes behind a string: 0 while it lives in its small-string buffer.
std::size_t HeapBytes(const std::string& text);
std::size_t HeapBytes(const domain::LineItem& item);
std::size_t HeapBytes(const domain::Order& order);
std::size_t HeapBytes(const domain::Event& event);

// The block of a vector's storage (by capacity) plus what its elements hold.
template <class T>
std::size_t HeapBytes(const std::vector<T>& values) {
  std::size_t bytes = HeapBlock(values.capacity() * sizeof(T));
  for (const auto& value : values) bytes += HeapBytes(value);
  return bytes;
}

}  // namespace orders::notifier
