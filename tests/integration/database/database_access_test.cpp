// How the local stack's PostgreSQL lets clients in (infra/lib/common.sh, orders::start_postgres): the
// services' role is an ordinary one that owns its database, and nobody gets in over TCP without a
// password, the superuser least of all.

#include <gtest/gtest.h>

#include <string>

#include <orders/testing/private_postgres.hpp>
#include <orders/testing/test_env.hpp>
#include <pqxx/pqxx>

namespace orders::testing {
namespace {

// Connection parameters for `user` at the server of DATABASE_URL, with no password from anywhere:
// none in the text, and a password file that does not exist instead of $PGPASSFILE.
std::string WithoutPassword(const std::string& user, const std::string& database) {
  pqxx::connection reference(DatabaseUrl());
  return "host=" + std::string(reference.hostname()) + " port=" + reference.port() + " dbname=" + database +
         " user=" + user + " passfile=/nonexistent/pgpass connect_timeout=5";
}

// The refusal text, or "" when the connection was let in.
std::string RefusalOf(const std::string& parameters) {
  try {
    pqxx::connection connection(parameters);
    return "";
  } catch (const pqxx::broken_connection& refused) {
    return refused.what();
  }
}

class DatabaseAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_POSTGRES();
    ASSERT_EQ(std::getenv("PGPASSWORD"), nullptr) << "unset PGPASSWORD: it would stand in for the missing password";
  }
};

TEST_F(DatabaseAccessTest, TheServicesRoleIsNotASuperuser) {
  pqxx::connection connection(DatabaseUrl());
  pqxx::nontransaction tx(connection);
  const auto row = tx.exec1("SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = current_user");
  EXPECT_FALSE(row[0].as<bool>()) << "superuser";
  EXPECT_FALSE(row[1].as<bool>()) << "may create roles";
  EXPECT_FALSE(row[2].as<bool>()) << "bypasses row security";
}

TEST_F(DatabaseAccessTest, TheServicesRoleMayCreateTheSchemasItNeeds) {
  pqxx::connection connection(DatabaseUrl());
  pqxx::work tx(connection);
  const std::string schema = tx.quote_name(UniqueName("access"));
  tx.exec0("CREATE SCHEMA " + schema);
  tx.exec0("CREATE TABLE " + schema + ".t (id bigint PRIMARY KEY)");
  tx.exec0("ALTER SCHEMA " + schema + " RENAME TO " + tx.quote_name(UniqueName("access-renamed")));
  tx.abort();
}

TEST_F(DatabaseAccessTest, TheServicesRoleNeedsItsPassword) {
  pqxx::connection connection(DatabaseUrl());
  const std::string refusal = RefusalOf(WithoutPassword(connection.username(), connection.dbname()));
  EXPECT_NE(refusal, "") << "connected as " << connection.username() << " without a password";
  EXPECT_NE(refusal.find("password"), std::string::npos) << refusal;
}

TEST_F(DatabaseAccessTest, TheSuperuserCannotConnectOverTcpWithoutAPassword) {
  const std::string refusal = RefusalOf(WithoutPassword("postgres", "postgres"));
  EXPECT_NE(refusal, "") << "connected as postgres over TCP without a password";
}

// The throw-away clusters of the fault tests (tests/support/src/private_postgres.cpp) follow the same rules.
TEST_F(DatabaseAccessTest, PrivateClustersOfTheFaultTestsFollowTheSameRules) {
  std::string error;
  auto cluster = PrivatePostgres::Create(error);
  ASSERT_TRUE(cluster) << error;
  pqxx::connection connection(cluster->Url());
  pqxx::nontransaction tx(connection);
  EXPECT_FALSE(tx.exec1("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0].as<bool>());
  EXPECT_EQ(tx.exec1("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")[0]
                .as<std::string>(),
            connection.username());
  const std::string port = std::to_string(cluster->port());
  for (const std::string user : {std::string(connection.username()), std::string("postgres")}) {
    EXPECT_NE(RefusalOf("host=127.0.0.1 port=" + port + " dbname=postgres user=" + user +
                        " passfile=/nonexistent/pgpass connect_timeout=5"),
              "")
        << user << " connected without a password";
  }
}

}  // namespace
}  // namespace orders::testing
