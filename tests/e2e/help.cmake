# Help, man pages and completion, all from the command table: the help
# suite links the table itself (the command line's objects) to compare
# what relman prints with it; the man pages are rendered by man(1) and the
# completion scripts loaded by bash and zsh.
relman_add_test(test-help
  SOURCES e2e/test-help.c e2e/harness.c $<TARGET_OBJECTS:relman_cli>
          $<TARGET_OBJECTS:relman_node>
  LIBS relman_handler relman_control relman_releases relman_manifests relman_runtime
       relman_protocol relman_common relman_systemd)
target_include_directories(test-help PRIVATE ${PROJECT_SOURCE_DIR}/relman)
add_dependencies(test-help relman relman-docs)

add_test(NAME man-pages
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/man-pages.sh ${PROJECT_BINARY_DIR}/man/relman.1
          ${PROJECT_SOURCE_DIR}/docs/man/relman-manifests.5
          ${PROJECT_SOURCE_DIR}/docs/man/relman-module.3)
set_tests_properties(man-pages PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME completion
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/completion.sh $<TARGET_FILE:relman>
          ${PROJECT_BINARY_DIR}/completion ${PROJECT_BINARY_DIR}/examples/counter)
set_tests_properties(completion PROPERTIES SKIP_RETURN_CODE 77)

# The README's CMake snippet in a new project, against relman installed.
add_test(NAME cmake-helpers
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/cmake-helpers.sh ${PROJECT_SOURCE_DIR}
          ${PROJECT_BINARY_DIR})

# The demo into a pipe: no escape codes (colour only on a terminal), and
# nothing left in TMPDIR.
add_test(NAME demo-plain
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/demo-plain.sh ${PROJECT_SOURCE_DIR}
          ${PROJECT_BINARY_DIR})
set_tests_properties(demo-plain PROPERTIES RUN_SERIAL ON)
