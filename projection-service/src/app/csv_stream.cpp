#include <orders/projection/csv_stream.hpp>

#include <orders/projection/csv_bodies.hpp>

namespace orders::projection {
namespace {

class CsvStream : public std::enable_shared_from_this<CsvStream> {
 public:
  CsvStream(std::unique_ptr<CsvPageSource> source, std::shared_ptr<CsvChunkSink> sink, Scheduler& scheduler,
            std::function<void(const CsvStreamEnd&)> ended)
      : source_(std::move(source)), sink_(std::move(sink)), scheduler_(scheduler), ended_(std::move(ended)) {}

  void Write(std::string chunk, std::int64_t rows, bool last) {
    sink_->Write(std::move(chunk), [self = shared_from_this(), rows, last](bool written) {
      if (!written) return self->End(CsvStreamOutcome::kCut);
      self->rows_ += rows;
      if (last) {
        self->sink_->Finish();
        return self->End(CsvStreamOutcome::kComplete);
      }
      // Not inside the write callback: the sink's connection is still finishing that write.
      self->scheduler_.Post([self] { self->ReadNext(); });
    });
  }

 private:
  void ReadNext() {
    auto page = source_->NextPage();
    if (!page) {
      sink_->Abandon();
      return End(CsvStreamOutcome::kFailed);
    }
    Write(std::move(page->rows), page->row_count, page->last);
  }

  void End(CsvStreamOutcome outcome) {
    // Released before `ended` runs, so whoever observes the end sees the connection let go.
    sink_.reset();
    source_.reset();
    if (auto ended = std::exchange(ended_, nullptr)) ended(CsvStreamEnd{outcome, rows_});
  }

  std::unique_ptr<CsvPageSource> source_;
  std::shared_ptr<CsvChunkSink> sink_;
  Scheduler& scheduler_;
  std::function<void(const CsvStreamEnd&)> ended_;
  std::int64_t rows_ = 0;
};

// A list read by its keyset cursor: `Read` reads the page after the cursor held in the query.
template <typename Query, typename Read>
class KeysetSource final : public CsvPageSource {
 public:
  KeysetSource(Query query, Read read) : query_(std::move(query)), read_(std::move(read)) {
    query_.limit = kCsvStreamPageRows;
  }

  platform::Result<CsvPage> NextPage() override { return read_(query_); }

 private:
  Query query_;
  Read read_;
};

template <typename Query, typename Read>
std::unique_ptr<CsvPageSource> MakeSource(Query query, Read read) {
  return std::make_unique<KeysetSource<Query, Read>>(std::move(query), std::move(read));
}

// An order page as CSV; the query moves on to the page's cursor.
template <typename Query>
platform::Result<CsvPage> OrdersPage(const platform::Result<OrderPage>& page, Query& query) {
  if (!page) return page.error();
  query.cursor = page->next;
  return CsvPage{OrdersCsvRows(page->items), static_cast<std::int64_t>(page->items.size()), !page->next};
}

}  // namespace

void StreamCsv(std::string header, CsvPage first, std::unique_ptr<CsvPageSource> source,
               std::shared_ptr<CsvChunkSink> sink, Scheduler& scheduler,
               std::function<void(const CsvStreamEnd&)> ended) {
  auto stream = std::make_shared<CsvStream>(std::move(source), std::move(sink), scheduler, std::move(ended));
  stream->Write(std::move(header) + first.rows, first.row_count, first.last);
}

std::unique_ptr<CsvPageSource> OrdersCsvSource(ReadModelReader& reader, ListQuery query) {
  return MakeSource(std::move(query), [&reader](ListQuery& q) { return OrdersPage(reader.ListOrders(q), q); });
}

std::unique_ptr<CsvPageSource> OpenDeliveriesCsvSource(ReadModelReader& reader, OpenDeliveriesQuery query) {
  return MakeSource(std::move(query),
                    [&reader](OpenDeliveriesQuery& q) { return OrdersPage(reader.OpenDeliveries(q), q); });
}

std::unique_ptr<CsvPageSource> InventoryCsvSource(ReadModelReader& reader, InventoryQuery query) {
  return MakeSource(std::move(query), [&reader](InventoryQuery& q) -> platform::Result<CsvPage> {
    auto page = reader.ListInventory(q);
    if (!page) return page.error();
    q.after_product_id = page->next_after;
    return CsvPage{InventoryCsvRows(page->items), static_cast<std::int64_t>(page->items.size()), !page->next_after};
  });
}

}  // namespace orders::projection
