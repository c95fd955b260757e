# Install rules and the Debian package (cpack -G DEB): where a Debian administrator expects
# zefortd's files, and the control data lintian checks. Included from the top CMakeLists.txt.
include(GNUInstallDirs)

# The daemon, and the sandbox only on request (`cmake --install build --component sandbox`):
# a test server has no place in a production /usr/bin, and the .deb leaves it out.
install(TARGETS zefortd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemon)
install(TARGETS zefort-sandbox RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT sandbox
        EXCLUDE_FROM_ALL)

# Units: see install-units.cmake.in. Empty ZEFORTD_UNIT_DIR = decided by the prefix.
set(ZEFORTD_UNIT_DIR "" CACHE PATH "Where the systemd units go (empty: by the install prefix)")
configure_file(packaging/install-units.cmake.in ${PROJECT_BINARY_DIR}/packaging/install-units.cmake
               @ONLY)
install(SCRIPT ${PROJECT_BINARY_DIR}/packaging/install-units.cmake COMPONENT daemon)

# zefortd reads /etc/zefortd (ConfigurationDirectory=zefortd) whatever the prefix.
set(ZEFORTD_CONFIG_INSTALL_DIR /etc/zefortd CACHE PATH "Where the example configuration goes")
set(ZEFORTD_EXAMPLE_CONFIG ${PROJECT_SOURCE_DIR}/config/zefortd.yaml)
configure_file(packaging/install-conffile.cmake.in
               ${PROJECT_BINARY_DIR}/packaging/install-conffile.cmake @ONLY)
install(SCRIPT ${PROJECT_BINARY_DIR}/packaging/install-conffile.cmake COMPONENT daemon)

# Man page and Debian changelog, compressed as Debian wants them (gzip -9n: no name, no time,
# so the package is reproducible).
find_program(GZIP gzip REQUIRED)
set(gzipped)
foreach(pair "doc/zefortd.1|zefortd.1.gz" "packaging/changelog|changelog.Debian.gz")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 source)
  list(GET pair 1 output)
  get_filename_component(plain ${output} NAME_WLE)
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/packaging/${output}
                     COMMAND ${CMAKE_COMMAND} -E copy ${PROJECT_SOURCE_DIR}/${source}
                             ${PROJECT_BINARY_DIR}/packaging/${plain}
                     COMMAND ${GZIP} -9nf ${PROJECT_BINARY_DIR}/packaging/${plain}
                     DEPENDS ${PROJECT_SOURCE_DIR}/${source} VERBATIM)
  list(APPEND gzipped ${PROJECT_BINARY_DIR}/packaging/${output})
endforeach()
add_custom_target(zefortd_docs ALL DEPENDS ${gzipped})
install(FILES ${PROJECT_BINARY_DIR}/packaging/zefortd.1.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT daemon)
set(doc_dir ${CMAKE_INSTALL_DATADIR}/doc/zefortd)
install(FILES packaging/copyright ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz README.md
        DESTINATION ${doc_dir} COMPONENT daemon)
# The examples side by side; the demo's configuration needs the sandbox and stays out.
install(FILES config/zefortd.yaml DESTINATION ${doc_dir}/examples COMPONENT daemon)
install(DIRECTORY config/jobs.d config/examples/ DESTINATION ${doc_dir}/examples COMPONENT daemon)

# The package: only the daemon component; dependencies from dpkg-shlibdeps.
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles "${ZEFORTD_CONFIG_INSTALL_DIR}/zefortd.yaml\n")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME zefortd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)  # 0.1.0-1: the Debian changelog is changelog.Debian.gz
set(CPACK_PACKAGE_CONTACT "zefortd maintainers <maintainers@users.noreply.r-seed-8c01291c.example>"
    CACHE STRING "The package's Maintainer field")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Maintainer scripts: daemon-reload after install and removal, try-restart on upgrade, stop on
# removal (packaging/postinst, prerm, postrm).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/packaging/conffiles ${PROJECT_SOURCE_DIR}/packaging/postinst
    ${PROJECT_SOURCE_DIR}/packaging/prerm ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://zefort.com")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "bulk operations on the Zefort contract-management API")
# The extended description; CPack puts the summary above it as the synopsis.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "zefortd submits bulk updates described in YAML to the Zefort API, polls the
tasks it gets back until they are finished, and dismisses them. Everything is
journaled ahead of the request, so a crash or reboot loses and repeats nothing.
It runs as a systemd service (zefortd serve) or as one-shot batches
(zefortd run), also from the zefortd-run@ timer.")
set(CPACK_STRIP_FILES ON)
set(CPACK_SET_DESTDIR ON)  # absolute destinations (/etc, /lib/systemd) go under the staging root
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};daemon;/")
include(CPack)
