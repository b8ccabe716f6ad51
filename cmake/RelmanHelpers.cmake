# CMake helpers for people who write relman modules and releases.
#
# relman_add_module(<target> NAME <module> VERSION <vsn> SOURCES <files...>
#                   [OUTPUT_DIRECTORY <dir>])
#   Builds <module>.so for one version with the flags hot loading needs:
#   position-independent code, hidden visibility (only the descriptor is
#   exported), no GNU unique symbols (they would pin the object in memory and
#   defeat dlclose), and immediate binding (-z now) so that a missing symbol
#   fails at load, not in the middle of a call. Each version should go to its
#   own OUTPUT_DIRECTORY, since the node refuses to load a path twice. A
#   relative OUTPUT_DIRECTORY is taken in the calling directory's build
#   directory (CMAKE_CURRENT_BINARY_DIR).

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
    get_filename_component(out_dir "${M_OUTPUT_DIRECTORY}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${out_dir}")
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

# relman_pack_release(<target> SPEC <release.yaml> OUTPUT <file.tar.gz>
#                     [PATH <dirs...>] [MODULES <module targets...>]
#                     [DEPENDS <files...>])
#   Packs a release archive with `relman pack` at build time (target <target>,
#   built by default). PATH lists the directories searched, in order, for
#   each application file <app>-<vsn>/<file> (specs, appups, modules): give
#   both the source directory holding the YAML specs and the build directory
#   holding the modules. MODULES names the relman_add_module targets the
#   release holds, DEPENDS any other file (specs, appups) whose change
#   should repack. The archive is reproducible: SOURCE_DATE_EPOCH (0 unless
#   set in the environment at configure time) becomes every entry's time.
#   Relative paths are taken as the caller writes them: SPEC, PATH and
#   DEPENDS in the calling source directory (CMAKE_CURRENT_SOURCE_DIR),
#   OUTPUT in its build directory (CMAKE_CURRENT_BINARY_DIR).
function(relman_pack_release target)
  cmake_parse_arguments(P "" "SPEC;OUTPUT" "PATH;MODULES;DEPENDS" ${ARGN})
  if(NOT P_SPEC OR NOT P_OUTPUT)
    message(FATAL_ERROR "relman_pack_release(${target}): SPEC and OUTPUT are required")
  endif()
  get_filename_component(P_SPEC "${P_SPEC}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  get_filename_component(P_OUTPUT "${P_OUTPUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  set(deps)
  foreach(f ${P_DEPENDS})
    get_filename_component(f "${f}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND deps ${f})
  endforeach()
  if(TARGET relman)
    set(exe $<TARGET_FILE:relman>)
    set(exe_dep relman)
  elseif(TARGET relman::relman)
    set(exe $<TARGET_FILE:relman::relman>)
    set(exe_dep relman::relman)
  else()
    message(FATAL_ERROR "relman_pack_release(${target}): no relman program (find_package(relman))")
  endif()
  set(path_args)
  foreach(dir ${P_PATH})
    get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND path_args --path ${dir})
  endforeach()
  set(epoch 0)
  if(DEFINED ENV{SOURCE_DATE_EPOCH})
    set(epoch $ENV{SOURCE_DATE_EPOCH})
  endif()
  add_custom_command(OUTPUT ${P_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -E env SOURCE_DATE_EPOCH=${epoch}
            ${exe} pack ${P_SPEC} -o ${P_OUTPUT} ${path_args}
    DEPENDS ${P_SPEC} ${P_MODULES} ${deps} ${exe_dep}
    COMMENT "Packing release ${P_OUTPUT}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${P_OUTPUT})
endfunction()

# Inside relman's own build, also install this file as a CMake package
# (find_package(relman)) and a pkg-config file for the module header.
if(PROJECT_NAME STREQUAL "relman" AND EXISTS "${CMAKE_CURRENT_LIST_DIR}/RelmanPackage.cmake")
  include("${CMAKE_CURRENT_LIST_DIR}/RelmanPackage.cmake")
endif()
