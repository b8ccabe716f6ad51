# End-to-end tests of the node: they start real nodes with the built relman
# and drive them through the CLI and the raw control socket.
foreach(t test-node test-node-socket)
  relman_add_test(${t} SOURCES e2e/${t}.c e2e/harness.c LIBS relman_protocol relman_common)
  add_dependencies(${t} relman counter_z0 counter_z1)
endforeach()
