#pragma once
// CSV answers of the lists and reports (Accept: text/csv): RFC 4180 — a
// header row, CRLF line ends, fields quoted when they hold a comma, a quote
// or a line break (quotes doubled). A list's CSV with `limit` is one page,
// like its JSON, the next page's cursor in the `Next-Cursor` header; without
// `limit` it is every matching row, streamed page by page (csv_stream.hpp)
// from the same header and row functions below. Amounts are
// integer cents per currency as in the JSON, minutes to one decimal, empty
// when there is nothing to measure.

#include <optional>
#include <string>
#include <string_view>

#include <orders/projection/query_params.hpp>
#include <orders/projection/read_model_reader.hpp>

namespace orders::projection {

enum class BodyFormat { kJson, kCsv };
// From an Accept header: JSON when absent or when it accepts JSON (or any
// type) first, CSV when it names text/csv (or text/*) first; nullopt when it
// accepts neither (406). Media ranges with q=0 are refused ones.
std::optional<BodyFormat> NegotiateFormat(std::string_view accept);

inline constexpr const char* kCsvContentType = "text/csv; charset=utf-8";

std::string CsvField(std::string_view text);

// A list's header line and its rows, each line ending in CRLF: a page is the
// header followed by its rows, a stream the header followed by every page's.
std::string OrdersCsvHeader();
std::string OrdersCsvRows(const std::vector<domain::Order>& orders);
std::string InventoryCsvHeader();
std::string InventoryCsvRows(const std::vector<StockLevel>& levels);

std::string OrdersCsv(const OrderPage& page);
std::string InventoryCsv(const InventoryPage& page);
std::string StatusCountsCsv(const std::map<domain::Status, std::int64_t>& counts);
std::string DailyCsv(const std::vector<DailyRow>& days);
std::string ProductsCsv(const ProductReport& report);
std::string CouriersCsv(const std::vector<CourierReportRow>& couriers);
std::string FunnelCsv(const FunnelReport& report);

}  // namespace orders::projection
