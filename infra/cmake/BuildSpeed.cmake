# Build speed, opt-out: ccache as the compiler launcher and mold as the linker when they are
# installed (./infra/lib/common.sh installs both). Neither changes what is built.
#
# ccache is told to ignore where the tree lives (base directory = the source tree, no hashing of
# the working directory), so a second clone of the repository hits the cache a first one filled.
# The cache itself stays outside the tree (ccache's default, ~/.cache/ccache, or $CCACHE_DIR).
# Precompiled headers need the two sloppiness settings below, or ccache never hits on them.
option(ORDERS_CCACHE "Compile through ccache when it is installed" ON)
option(ORDERS_MOLD "Link with mold when it is installed" ON)

find_program(ORDERS_CCACHE_PROGRAM ccache)
find_program(ORDERS_ENV_PROGRAM env)
if(ORDERS_CCACHE AND ORDERS_CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${ORDERS_ENV_PROGRAM}
      CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}
      CCACHE_NOHASHDIR=true
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${ORDERS_CCACHE_PROGRAM})
  message(STATUS "Compiling through ccache: ${ORDERS_CCACHE_PROGRAM}")
endif()

find_program(ORDERS_MOLD_PROGRAM mold)
set(ORDERS_LINK_WITH_MOLD OFF)
if(ORDERS_MOLD AND ORDERS_MOLD_PROGRAM)
  set(ORDERS_LINK_WITH_MOLD ON)
  message(STATUS "Linking with mold: ${ORDERS_MOLD_PROGRAM}")
endif()

# orders_link_fast(<target>): the chosen linker, per target (no global flags).
function(orders_link_fast target)
  if(ORDERS_LINK_WITH_MOLD)
    target_link_options(${target} PRIVATE -fuse-ld=mold)
  endif()
endfunction()
