# What `cmake --install` puts beside the program, the module header, the man
# pages, the completion and the unit (installed where they are built): the
# embeddable runtime as a shared library, its headers, pkg-config files and
# the CMake package's targets; the uninstall target; the Debian package
# (cpack -G DEB). Included at the end of the top CMakeLists.txt.

# librelman-runtime.so.MAJOR: the runtime and what it uses of common, with
# only the names its public headers declare exported (a version script
# generated from the preprocessed headers, so it cannot drift from them).
set(RELMAN_RUNTIME_SOVERSION 0)
set_target_properties(relman_runtime PROPERTIES POSITION_INDEPENDENT_CODE ON)
set(RELMAN_RUNTIME_HEADERS
    ${PROJECT_SOURCE_DIR}/runtime/include/relman/runtime.h
    ${PROJECT_SOURCE_DIR}/runtime/include/relman/apply.h
    ${PROJECT_SOURCE_DIR}/common/include/relman/error.h
    ${PROJECT_SOURCE_DIR}/common/include/relman/config.h
    ${PROJECT_SOURCE_DIR}/common/include/relman/vocab.h)
set(map_dir ${PROJECT_BINARY_DIR}/runtime-so)
file(WRITE ${map_dir}/public.c.in
     "#include \"relman/runtime.h\"\n#include \"relman/apply.h\"\n")
configure_file(${map_dir}/public.c.in ${map_dir}/public.c COPYONLY)
add_custom_command(OUTPUT ${map_dir}/relman-runtime.map
  COMMAND ${CMAKE_C_COMPILER} -E -P -I${PROJECT_SOURCE_DIR}/common/include
          -I${PROJECT_SOURCE_DIR}/runtime/include ${map_dir}/public.c -o ${map_dir}/public.i
  COMMAND ${CMAKE_COMMAND} -DIN=${map_dir}/public.i -DOUT=${map_dir}/relman-runtime.map
          -DVERSION=${RELMAN_RUNTIME_SOVERSION} -P ${PROJECT_SOURCE_DIR}/cmake/relman-runtime-map.cmake
  DEPENDS ${RELMAN_RUNTIME_HEADERS} ${PROJECT_SOURCE_DIR}/common/include/relman/module.h
          ${PROJECT_SOURCE_DIR}/cmake/relman-runtime-map.cmake
  COMMENT "Listing the runtime's public symbols from its headers"
  VERBATIM)
add_custom_target(relman_runtime_map DEPENDS ${map_dir}/relman-runtime.map)

add_library(relman_runtime_shared SHARED $<TARGET_OBJECTS:relman_runtime>
            $<TARGET_OBJECTS:relman_common>)
add_dependencies(relman_runtime_shared relman_runtime_map)
set_target_properties(relman_runtime_shared PROPERTIES
  OUTPUT_NAME relman-runtime
  EXPORT_NAME runtime
  VERSION ${PROJECT_VERSION}
  SOVERSION ${RELMAN_RUNTIME_SOVERSION}
  LINK_DEPENDS ${map_dir}/relman-runtime.map)
target_link_options(relman_runtime_shared PRIVATE
  -Wl,--version-script=${map_dir}/relman-runtime.map -Wl,--no-undefined)
target_link_libraries(relman_runtime_shared PRIVATE Threads::Threads ${CMAKE_DL_LIBS})
target_include_directories(relman_runtime_shared INTERFACE
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
install(TARGETS relman_runtime_shared EXPORT relmanTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${RELMAN_RUNTIME_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/relman)
install(EXPORT relmanTargets NAMESPACE relman:: DESTINATION ${RELMAN_CMAKE_DIR})

# pkg-config relman-runtime (relocatable, like relman-module.pc).
configure_file(${PROJECT_SOURCE_DIR}/cmake/relman-runtime.pc.in
  ${PROJECT_BINARY_DIR}/cmake/relman-runtime.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/relman-runtime.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# cmake --build BUILD --target uninstall
configure_file(${PROJECT_SOURCE_DIR}/cmake/cmake_uninstall.cmake.in
  ${PROJECT_BINARY_DIR}/cmake_uninstall.cmake @ONLY)
add_custom_target(uninstall COMMAND ${CMAKE_COMMAND} -P ${PROJECT_BINARY_DIR}/cmake_uninstall.cmake
  COMMENT "Removing what cmake --install installed")

# The Debian package: cpack -G DEB in the build directory. Configure with
# -DCMAKE_INSTALL_PREFIX=/usr for a package a system installs: the package
# installs under that prefix, and the unit's ExecStart names it.
set(CPACK_PACKAGE_NAME relman)
set(CPACK_PACKAGE_VENDOR "relman")
set(CPACK_PACKAGE_CONTACT "relman maintainers <relman@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Erlang/OTP-style hot code upgrades for C services")
set(CPACK_PACKAGE_DESCRIPTION
    "relman runs a node of lightweight processes whose code lives in versioned shared objects,\n and upgrades them in place: the relman program, the module header, the embeddable runtime\n library, man pages, shell completion and the relman@.service systemd unit.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/relman")
include(CPack)
