#pragma once
// A CSV export streamed page by page (GET /orders, /deliveries/open and
// /inventory with Accept: text/csv and no `limit`): the rows of any count go
// out through a bounded amount of memory.
//
// The stream reads one page (CsvPageSource: a short read of the read model
// that holds no database connection afterwards), writes it as one chunk
// (CsvChunkSink), and reads the next page only once that chunk was written.
// So a stream holds at most one page, and a client that reads slowly slows
// the reads down instead of filling memory. A client that goes away, or that
// stalls until the server's write timeout cuts it off, ends the stream at its
// next write (kCut); a page that cannot be read ends the response without its
// terminating chunk (kFailed), so the client sees a broken transfer rather
// than a short file that looks complete.
//
// Pages are read from the keyset cursor of the previous one, each in its own
// transaction: an export is not one snapshot, but no row comes twice and no
// row that existed throughout is skipped (the keys, createdAt and orderId or
// productId, never change).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <orders/platform/result.hpp>
#include <orders/projection/query_params.hpp>
#include <orders/projection/read_model_reader.hpp>
#include <orders/projection/version_wait.hpp>

namespace orders::projection {

// Rows a streamed export reads per page: large enough that the per-page query
// and chunk overhead is small, small enough (a few hundred kB) to hold.
inline constexpr std::int64_t kCsvStreamPageRows = 1000;

// One page of an export as CSV lines (CRLF-ended), and whether more follow.
struct CsvPage {
  std::string rows;
  std::int64_t row_count = 0;
  bool last = true;
};

// Port: the pages of one export in order; each call reads the next.
class CsvPageSource {
 public:
  virtual ~CsvPageSource() = default;
  virtual platform::Result<CsvPage> NextPage() = 0;
};

// Port: the response the chunks go to (platform/restinio ChunkedResponse).
// `written` is called exactly once per Write: true once the chunk is out,
// false when the connection is gone.
class CsvChunkSink {
 public:
  virtual ~CsvChunkSink() = default;
  virtual void Write(std::string chunk, std::function<void(bool written)> written) = 0;
  virtual void Finish() = 0;   // the body is complete
  virtual void Abandon() = 0;  // the body ends broken
};

enum class CsvStreamOutcome { kComplete, kCut, kFailed };

struct CsvStreamEnd {
  CsvStreamOutcome outcome = CsvStreamOutcome::kComplete;
  std::int64_t rows = 0;  // data rows written (the header not counted)
};

// Streams `header` and `first` (read by the caller before it started the
// response, so a read model that does not answer can still be a 503), then
// every next page of `source`. Each next read is posted to `scheduler`, never
// run inside the write callback. `ended` is called once, after the stream
// has let go of the sink and the source is no longer read.
void StreamCsv(std::string header, CsvPage first, std::unique_ptr<CsvPageSource> source,
               std::shared_ptr<CsvChunkSink> sink, Scheduler& scheduler,
               std::function<void(const CsvStreamEnd&)> ended);

// The lists as page sources: each page `kCsvStreamPageRows` rows (the query's
// own limit is ignored), from the query's cursor onwards.
std::unique_ptr<CsvPageSource> OrdersCsvSource(ReadModelReader& reader, ListQuery query);
std::unique_ptr<CsvPageSource> OpenDeliveriesCsvSource(ReadModelReader& reader, OpenDeliveriesQuery query);
std::unique_ptr<CsvPageSource> InventoryCsvSource(ReadModelReader& reader, InventoryQuery query);

}  // namespace orders::projection
