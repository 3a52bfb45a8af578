#pragma once
// The report summaries (schemas/sql/006_report_summaries.sql). A batch's
// share is added up in memory (batch_summary.hpp, from the rows the batch
// wrote and what it loads of its stored orders) and added to the summary rows
// after WriteBatch, inside the same fence, so the summaries move exactly with
// the read model (a redelivered event adds no history row and so counts
// nothing). One SQL statement over every stored row fills the summaries of a
// read model that predates them, and the benchmark's seeded read model.

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include <orders/projection/batch.hpp>
#include <orders/projection/batch_summary.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

// Once per connection (PrepareStatements, batch_statements.hpp): the statements
// WriteSummaries and StoredHistoryKeys run, which need them.
void PrepareSummaryStatements(pqxx::connection_base& connection);

// Summarises writes.history, leaving out `skip` (rows that were stored
// already: the tolerant path skips them too). `facts` holds what the writer
// knows of the batch's stored orders; what the summary needs beyond it is
// loaded into it. The slot is the batch's lowest partition (the fence holds
// it: no concurrent writer shares it).
void WriteSummaries(pqxx::transaction_base& tx, const BatchWrites& writes, OrderFacts& facts,
                    const std::set<HistoryKey>& skip = {});

// Adds summary rows to the tables, in one statement, in key order; `slot` as
// for WriteSummaries.
void AddSummaries(pqxx::transaction_base& tx, int slot, const SummaryDeltas& deltas);

// Of the batch's history rows, those already stored (only the tolerant path asks).
std::set<HistoryKey> StoredHistoryKeys(pqxx::transaction_base& tx, const BatchWrites& writes);

// Summarises every stored history row into empty summaries, in one statement
// (PostgreSQL spills its hashes to disk past work_mem, so size is no limit).
void SummariseStoredHistory(pqxx::transaction_base& tx);

}  // namespace orders::projection
