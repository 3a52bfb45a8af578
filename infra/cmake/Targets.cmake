# How a project target is declared. Every library and executable goes through these, so each
# gets the same warnings, sanitizers and linker, and nothing is set globally.

# orders_target(<target>): everything a project target gets.
function(orders_target target)
  orders_set_warnings(${target})
  orders_apply_sanitizers(${target})
  orders_link_fast(${target})
endfunction()

# orders_library(<name> ALIAS <ns::name> SOURCES ... [PUBLIC ...] [PRIVATE ...]
#                [INCLUDE_DIR <dir>] [PRECOMPILE <header> ...])
# A static library whose public headers live in <dir> (default: include/ beside the CMakeLists),
# reachable as <ns::name>. PRECOMPILE lists headers every source of the library includes anyway
# (the heavy third-party ones); they are compiled once per library instead of once per source.
function(orders_library name)
  cmake_parse_arguments(ARG "" "ALIAS;INCLUDE_DIR" "SOURCES;PUBLIC;PRIVATE;PRECOMPILE" ${ARGN})
  if(NOT ARG_ALIAS OR NOT ARG_SOURCES)
    message(FATAL_ERROR "orders_library(${name}): ALIAS and SOURCES are required")
  endif()
  if(NOT ARG_INCLUDE_DIR)
    set(ARG_INCLUDE_DIR ${CMAKE_CURRENT_SOURCE_DIR}/include)
  endif()
  add_library(${name} ${ARG_SOURCES})
  add_library(${ARG_ALIAS} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${ARG_INCLUDE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
  if(ARG_PRECOMPILE)
    target_precompile_headers(${name} PRIVATE ${ARG_PRECOMPILE})
  endif()
  orders_target(${name})
endfunction()

# orders_executable(<name> SOURCES ... LIBRARIES ...): a program of the project.
function(orders_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES})
  orders_target(${name})
endfunction()
