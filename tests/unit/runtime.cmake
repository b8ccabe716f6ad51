# The runtime's unit tests and the modules they load.
set(RT_MODDIR ${PROJECT_BINARY_DIR}/tests/modules)
foreach(v 1 2 3)
  relman_add_module(test_mod_t${v} NAME t VERSION ${v} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/modules/t.c
                    OUTPUT_DIRECTORY ${RT_MODDIR}/t-${v})
endforeach()
foreach(v 1 2)
  relman_add_module(test_mod_slow${v} NAME slow VERSION ${v}
                    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/modules/slow.c
                    OUTPUT_DIRECTORY ${RT_MODDIR}/slow-${v})
endforeach()
relman_add_module(test_mod_nodesc NAME nodesc VERSION 1
                  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/modules/nodesc.c
                  OUTPUT_DIRECTORY ${RT_MODDIR}/nodesc)
relman_add_module(test_mod_badabi NAME b VERSION 1 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/modules/badabi.c
                  OUTPUT_DIRECTORY ${RT_MODDIR}/badabi)
relman_add_module(test_mod_r NAME r VERSION 1 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/modules/rel.c
                  OUTPUT_DIRECTORY ${RT_MODDIR}/r)
relman_add_module(test_mod_threads NAME threads VERSION 1 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/modules/threads.c
                  OUTPUT_DIRECTORY ${RT_MODDIR}/threads)
target_link_libraries(test_mod_threads PRIVATE Threads::Threads)
relman_add_module(test_mod_exits NAME exits VERSION 1 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/modules/exits.c
                  OUTPUT_DIRECTORY ${RT_MODDIR}/exits)
relman_add_module(test_mod_w NAME w VERSION 1 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/modules/w.c
                  OUTPUT_DIRECTORY ${RT_MODDIR}/w)
relman_add_module(test_mod_v1 NAME v1 VERSION 1 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/modules/v1.c
                  OUTPUT_DIRECTORY ${RT_MODDIR}/v1)

file(GLOB RT_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test-runtime*.c)
list(FILTER RT_TEST_SOURCES EXCLUDE REGEX "test-runtime-util\\.c$")
foreach(src ${RT_TEST_SOURCES})
  get_filename_component(tname ${src} NAME_WE)
  relman_add_test(${tname} SOURCES ${src} ${CMAKE_CURRENT_SOURCE_DIR}/unit/test-runtime-util.c
                  LIBS relman_runtime relman_common)
  target_compile_definitions(${tname} PRIVATE RT_MODDIR="${RT_MODDIR}")
  add_dependencies(${tname} test_mod_t1 test_mod_t2 test_mod_t3 test_mod_slow1 test_mod_slow2 test_mod_nodesc
                   test_mod_badabi test_mod_r test_mod_v1 test_mod_threads test_mod_exits test_mod_w counter_z0 counter_z1)
endforeach()
