# relman-stress (stress/stress.c): a live node under concurrent calls, casts,
# status, state, trace and which-release requests while one thread installs
# releases 2 and 1 in turn. Built in every build; scripts/test runs it in the
# ThreadSanitizer build (RELMAN_TSAN). It is not a ctest test: it runs for
# as long as it is told to, with the counter's archives:
#   relman-stress --relman build/relman/relman --archives build/examples/counter --seconds 30
add_executable(relman-stress stress/stress.c)
target_link_libraries(relman-stress PRIVATE relman_protocol relman_common Threads::Threads)
add_dependencies(relman-stress relman counter_release_1 counter_release_2)

# relman-stress-io (stress/stress-io.c): the echo service's modules in a node
# in the same process, under concurrent clients, suspensions, version moves
# and crashes; scripts/test runs it in the ThreadSanitizer build too:
#   relman-stress-io --echo build/examples/echo/lib --seconds 15
add_executable(relman-stress-io stress/stress-io.c)
target_link_libraries(relman-stress-io PRIVATE relman_runtime relman_common Threads::Threads)
add_dependencies(relman-stress-io echo_listener_1 echo_conn_1 echo_conn_2)
