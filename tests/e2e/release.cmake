# End-to-end tests of the release handler (e2e/test-release-*.c): each
# starts real nodes on roots of releases and drives install, check, plan,
# permanent, rollback, reboot-old and remove through the relman program.
# Their modules: m.c built as a, b and c in versions 1 to 3, and z-2.c, the
# counter's third version (examples/counter/z-2.c), whose migration has a limit.
set(RH_MODDIR ${PROJECT_BINARY_DIR}/tests/e2e/modules)
set(RH_MODULE_TARGETS rh_mod_z2)
relman_add_module(rh_mod_z2 NAME z VERSION 2 SOURCES ${PROJECT_SOURCE_DIR}/examples/counter/z-2.c
                  OUTPUT_DIRECTORY ${RH_MODDIR}/z-2)
foreach(name a b c)
  foreach(v 1 2 3)
    relman_add_module(rh_mod_${name}${v} NAME ${name} VERSION ${v}
                      SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e/modules/m.c
                      OUTPUT_DIRECTORY ${RH_MODDIR}/${name}-${v})
    target_compile_definitions(rh_mod_${name}${v} PRIVATE RH_MOD_NAME="${name}")
    list(APPEND RH_MODULE_TARGETS rh_mod_${name}${v})
  endforeach()
endforeach()

file(GLOB RH_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test-release-*.c)
list(FILTER RH_TEST_SOURCES EXCLUDE REGEX "test-release-lib\\.c$")
foreach(src ${RH_TEST_SOURCES})
  get_filename_component(t ${src} NAME_WE)
  relman_add_test(${t} SOURCES ${src} e2e/test-release-lib.c e2e/harness.c LIBS relman_protocol relman_common)
  target_compile_definitions(${t} PRIVATE RH_MODDIR="${RH_MODDIR}"
    RH_COUNTER_DIR="${PROJECT_BINARY_DIR}/examples/counter"
    ECHO_DIR="${PROJECT_BINARY_DIR}/examples/echo"
    ECHO_SOURCE_DIR="${PROJECT_SOURCE_DIR}/examples/echo")
  add_dependencies(${t} relman counter_z0 counter_z1 counter_release_1 counter_release_2
                   echo_listener_1 echo_listener_2 echo_conn_1 echo_conn_2 ${RH_MODULE_TARGETS})
endforeach()
