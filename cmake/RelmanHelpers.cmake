# CMake helpers for people who write relman modules and releases.
#
# relman_add_module(<target> NAME <module> VERSION <vsn> SOURCES <files...>
#                   [OUTPUT_DIRECTORY <dir>])
#   Builds <module>.so for one version with the flags hot loading needs:
#   position-independent code, hidden visibility (only the descriptor is
#   exported), no GNU unique symbols (they would pin the object in memory and
#   defeat dlclose), and immediate binding (-z now) so that a missing symbol
#   fails at load, not in the middle of a call. Each version should go to its
#   own OUTPUT_DIRECTORY, since the node refuses to load a path twice.

function(relman_add_module target)
  cmake_parse_arguments(M "" "NAME;VERSION;OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT M_NAME OR NOT DEFINED M_VERSION OR NOT M_SOURCES)
    message(FATAL_ERROR "relman_add_module(${target}): NAME, VERSION and SOURCES are required")
  endif()
  add_library(${target} MODULE ${M_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME "${M_NAME}"
    C_VISIBILITY_PRESET hidden
    POSITION_INDEPENDENT_CODE ON)
  if(M_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${M_OUTPUT_DIRECTORY}")
  endif()
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -fno-gnu-unique)
  endif()
  target_link_options(${target} PRIVATE -Wl,-z,now)
  target_compile_definitions(${target} PRIVATE RM_MODULE_BUILD_VERSION="${M_VERSION}")
  if(TARGET relman_module_api)
    target_link_libraries(${target} PRIVATE relman_module_api)
  elseif(TARGET relman::module_api)
    target_link_libraries(${target} PRIVATE relman::module_api)
  endif()
endfunction()
