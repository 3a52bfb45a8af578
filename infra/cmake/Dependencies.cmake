# Every third-party dependency is found here, once, as an imported target.
# All of them come from Debian bookworm packages (see infra/lib/common.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++)
pkg_check_modules(RDKAFKA_C REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(PISTACHE REQUIRED IMPORTED_TARGET libpistache)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
# The command service's local state store (COMMAND_STATE_DIR).
pkg_check_modules(ROCKSDB IMPORTED_TARGET rocksdb)
if(NOT ROCKSDB_FOUND)
  message(FATAL_ERROR "RocksDB not found: the command service's state store needs it. "
                      "Install librocksdb-dev (apt-get install librocksdb-dev; ./infra/test.sh installs it).")
endif()

find_package(nlohmann_json 3.11 REQUIRED)
find_package(fmt REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(GTest REQUIRED)

# RESTinio 0.6.16 ships a CMake config; it needs standalone asio and http_parser.
find_package(restinio REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
if(NOT TARGET deps::restinio)
  add_library(deps::restinio INTERFACE IMPORTED)
  target_link_libraries(deps::restinio INTERFACE restinio::restinio fmt::fmt ${HTTP_PARSER_LIBRARY} Threads::Threads)
  # asio 1.22 picks aligned_alloc/free or operator new/delete by whether a libstdc++ header came
  # before <asio.hpp> in the translation unit; two choices in one program pair operator new with
  # free (ASan: alloc-dealloc-mismatch). One choice for every translation unit.
  target_compile_definitions(deps::restinio INTERFACE ASIO_DISABLE_STD_ALIGNED_ALLOC)
endif()
