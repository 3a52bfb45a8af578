#pragma once
// Every name UniqueName() hands out may become a topic, a consumer group or a read-model schema on
// the shared Kafka and PostgreSQL. They are deleted when the test process ends (a GoogleTest
// environment calls DeleteCreatedResources), so a day of test runs does not leave the broker with
// thousands of topics: a broker's cost per request grows with the topics it holds.
#include <string>

namespace orders::testing {

// Remembers a name that a test may use for a topic, group or schema ('-' becomes '_' for schemas).
void RecordCreatedName(const std::string& name);

// Deletes every recorded topic and consumer group on the shared broker, and every read-model schema
// whose name starts with a recorded name (a rebuild adds suffixes). Best effort: names that were
// never created are skipped; an unreachable server is skipped.
void DeleteCreatedResources();

}  // namespace orders::testing
