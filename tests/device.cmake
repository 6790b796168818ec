# The device SDK, snapshots and private set membership (docs/device.md,
# docs/privacy.md). Included from tests/CMakeLists.txt.

# Conformance of the SDK's hashes, once per build of the SDK.
foreach(variant bulwark_device bulwark_device_decoders)
  if(TARGET ${variant})
    set(name test_device_${variant})
    string(REPLACE "bulwark_device" "sdk" name ${name})
    add_executable(${name} unit/test_device.c)
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(${name} PRIVATE BW_TEST_DATA="${BW_TEST_DATA}")
    target_link_libraries(${name} PRIVATE ${variant} bulwark_static m)
    add_test(NAME ${name} COMMAND ${name})
    # The SDK exports exactly the committed list, whichever build it is.
    add_test(NAME test_exported_symbols_${variant}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/exported-symbols.sh $<TARGET_FILE:${variant}>
              ${CMAKE_CURRENT_SOURCE_DIR}/data/device-exported-symbols.txt)
  endif()
endforeach()
set_tests_properties(test_device_sdk PROPERTIES TIMEOUT 600)

# libbulwark_device needs nothing but libc and libsodium.
add_test(NAME test_device_dependencies
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/device-dependencies.sh $<TARGET_FILE:bulwark_device>)

bw_unit_test(test_snapshot)
target_link_libraries(test_snapshot PRIVATE PkgConfig::SODIUM)
bw_unit_test(test_psm)
target_link_libraries(test_psm PRIVATE bulwark_device PkgConfig::SODIUM)
bw_unit_test(test_device_bank)
target_link_libraries(test_device_bank PRIVATE bulwark_device Threads::Threads)

add_test(NAME test_cli_snapshot
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli_snapshot.sh $<TARGET_FILE:bulwark_cli>
          ${BW_TEST_DATA})
set_tests_properties(test_cli_snapshot PROPERTIES TIMEOUT 600)
