#pragma once
// The report summaries (schemas/sql/006_report_summaries.sql), written by one
// statement from history rows: the batch transaction runs it for the rows it
// has just added, handed over as the batch wrote them (with the status before
// each event, from the fold) and joined only to their orders, after WriteBatch
// and inside the same fence,
// so the summaries move exactly with the read model (a redelivered event adds
// no history row and so counts nothing). The same statement, over every
// stored row, fills the summaries of a read model that predates them, and
// the benchmark's seeded read model.

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include <orders/projection/batch.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

using HistoryKey = std::pair<std::string, std::int64_t>;  // (order id, version)

// Once per connection (PrepareStatements, batch_statements.hpp): the statements
// WriteSummaries and StoredHistoryKeys run, which need them.
void PrepareSummaryStatements(pqxx::connection_base& connection);

// Summarises writes.history, leaving out `skip` (rows that were stored
// already: the tolerant path skips them too). The slot is the batch's lowest
// partition (the fence holds it: no concurrent writer shares it).
void WriteSummaries(pqxx::transaction_base& tx, const BatchWrites& writes, const std::set<HistoryKey>& skip = {});

// Of the batch's history rows, those already stored (only the tolerant path asks).
std::set<HistoryKey> StoredHistoryKeys(pqxx::transaction_base& tx, const BatchWrites& writes);

// Summarises every stored history row into empty summaries, in one statement
// (PostgreSQL spills its hashes to disk past work_mem, so size is no limit).
void SummariseStoredHistory(pqxx::transaction_base& tx);

}  // namespace orders::projection
