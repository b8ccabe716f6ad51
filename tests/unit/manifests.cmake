# The manifests library's suites: formats and validation, plan translation,
# a release's applications (search, checks, start order),
# plan printing, and `relman plan` run as a user would.
set(MANIFESTS_TEST_HELPERS ${CMAKE_CURRENT_SOURCE_DIR}/unit/manifests-helpers.c)
foreach(suite formats plan release cli config)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test-manifests-${suite}.c)
    relman_add_test(test-manifests-${suite}
      SOURCES unit/test-manifests-${suite}.c ${MANIFESTS_TEST_HELPERS}
      LIBS relman_manifests relman_common)
  endif()
endforeach()
