# The releases library's suites: the store, pack and unpack, the hostile
# archive corpus, and the commands run as a user would.
set(RELEASES_TEST_HELPERS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test-releases-util.c)
foreach(suite store archive hostile cli unpack crash)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test-releases-${suite}.c)
    relman_add_test(test-releases-${suite}
      SOURCES unit/test-releases-${suite}.c ${RELEASES_TEST_HELPERS}
      LIBS relman_releases relman_manifests relman_common PkgConfig::LIBARCHIVE
           PkgConfig::LIBCRYPTO)
  endif()
endforeach()
# Pack needs the counter's built modules; the commands suite needs relman.
if(TARGET test-releases-archive)
  add_dependencies(test-releases-archive counter_z0 counter_z1)
endif()
if(TARGET test-releases-cli)
  add_dependencies(test-releases-cli relman counter_z0 counter_z1)
endif()
if(TARGET test-releases-unpack)
  add_dependencies(test-releases-unpack relman)
endif()
if(TARGET test-releases-crash)
  add_dependencies(test-releases-crash relman)
endif()
