# The audit log: written by the command or the node where each release
# operation completes, read by `relman history`; the suite also reads the
# log with relman's own parser (relman/audit.c).
relman_add_test(test-audit
  SOURCES e2e/test-audit.c e2e/test-release-lib.c e2e/harness.c ${PROJECT_SOURCE_DIR}/relman/audit.c
  LIBS relman_protocol relman_common)
target_include_directories(test-audit PRIVATE ${PROJECT_SOURCE_DIR}/relman)
target_compile_definitions(test-audit PRIVATE RH_MODDIR="${PROJECT_BINARY_DIR}/tests/e2e/modules"
  RH_COUNTER_DIR="${PROJECT_BINARY_DIR}/examples/counter")
add_dependencies(test-audit relman counter_release_1 counter_release_2)
