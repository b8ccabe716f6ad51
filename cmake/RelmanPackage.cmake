# Installs relman as a CMake package and a pkg-config file (included by
# RelmanHelpers.cmake in relman's own build only; never installed itself).
#
#   find_package(relman)   gives relman::module_api (the module header),
#                          relman::relman (the program), relman::runtime
#                          (the embeddable runtime, exported by
#                          RelmanInstall.cmake) and the helpers
#                          relman_add_module() and relman_pack_release()
#   pkg-config relman-module   the header and the flags a module needs
#   (pkg-config relman-runtime: RelmanInstall.cmake)
include(CMakePackageConfigHelpers)

set(RELMAN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/relman)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/relmanConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/relmanConfig.cmake
  INSTALL_DESTINATION ${RELMAN_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/relmanConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
# The pkg-config file finds its prefix from its own place (relocatable).
file(RELATIVE_PATH RELMAN_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${CMAKE_CURRENT_LIST_DIR}/relman-module.pc.in
  ${CMAKE_BINARY_DIR}/cmake/relman-module.pc @ONLY)

install(FILES ${CMAKE_BINARY_DIR}/cmake/relmanConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake/relmanConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/RelmanHelpers.cmake
        DESTINATION ${RELMAN_CMAKE_DIR})
install(FILES ${CMAKE_BINARY_DIR}/cmake/relman-module.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
