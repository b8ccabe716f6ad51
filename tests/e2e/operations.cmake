# The operations suites (issue 13): systemd, logs, install, templates.
# The node under systemd (a datagram socket stands in for NOTIFY_SOCKET) and
# logrotate (SIGHUP), and the journal's fields (test-node-log, which links
# the node's objects to call the field builder itself).
relman_add_test(test-systemd
  SOURCES e2e/test-systemd.c e2e/test-release-lib.c e2e/harness.c
  LIBS relman_protocol relman_common)
target_compile_definitions(test-systemd PRIVATE RH_MODDIR="${PROJECT_BINARY_DIR}/tests/e2e/modules"
  RH_COUNTER_DIR="${PROJECT_BINARY_DIR}/examples/counter")
add_dependencies(test-systemd relman counter_release_1 counter_release_2)

# The unit: verified by systemd-analyze; started where systemd is PID 1.
add_test(NAME systemd-unit
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/systemd-unit.sh ${PROJECT_BINARY_DIR}/dist/relman@.service
          $<TARGET_FILE:relman> ${PROJECT_BINARY_DIR}/examples/counter)
set_tests_properties(systemd-unit PROPERTIES SKIP_RETURN_CODE 77)

relman_add_test(test-node-log
  SOURCES e2e/test-node-log.c ${PROJECT_SOURCE_DIR}/relman/node-log.c
          ${PROJECT_SOURCE_DIR}/relman/node-systemd.c
  LIBS relman_common relman_systemd)
target_include_directories(test-node-log PRIVATE ${PROJECT_SOURCE_DIR}/relman)
if(SYSTEMD_FOUND)
  target_compile_definitions(test-node-log PRIVATE RELMAN_HAVE_SYSTEMD=1)
endif()

# cmake --install, the runtime library, the embedding example against the
# installed prefix, uninstall and the .deb. It and cmake-helpers install
# from the same build directory (one install_manifest.txt): one at a time.
add_test(NAME install
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/install.sh ${PROJECT_SOURCE_DIR}
          ${PROJECT_BINARY_DIR} ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_LIBDIR})
set_tests_properties(install cmake-helpers PROPERTIES RESOURCE_LOCK build-install)

# relman new: skeletons that build and pack against the installed relman.
add_test(NAME templates
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/templates.sh ${PROJECT_BINARY_DIR})
set_tests_properties(templates PROPERTIES RESOURCE_LOCK build-install)
