# orders_set_warnings(<target>): the project's warning set, applied per target
# (no global flags).
function(orders_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wnull-dereference -Wimplicit-fallthrough)
  target_compile_features(${target} PUBLIC cxx_std_20)
endfunction()

# Sanitizers for the whole build, opt-in: -DORDERS_SANITIZE=address,undefined
set(ORDERS_SANITIZE "" CACHE STRING "Comma-separated sanitizers for all project targets")
function(orders_apply_sanitizers target)
  if(ORDERS_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${ORDERS_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${ORDERS_SANITIZE})
  endif()
endfunction()

# orders_target(<target>): everything a project target gets.
function(orders_target target)
  orders_set_warnings(${target})
  orders_apply_sanitizers(${target})
endfunction()
