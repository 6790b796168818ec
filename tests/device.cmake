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

# bulwarkd's device endpoints over real HTTP (tests/service/bwtest.py).
find_program(BW_PYTHON3 python3)
add_test(NAME test_service_device
  COMMAND ${BW_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/service/test_device_api.py
          $<TARGET_FILE:bulwarkd> $<TARGET_FILE:bulwark_cli>)
set_tests_properties(test_service_device PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)

# bulwark-chat end to end: relay, bulwarkd and clients as real processes.
if(TARGET bulwark_chat)
  add_test(NAME test_chat_e2e
    COMMAND ${BW_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/chat/test_chat_e2e.py
            $<TARGET_FILE:bulwark_chat> $<TARGET_FILE:bulwarkd> $<TARGET_FILE:bulwark_cli>
            ${BW_NUDITY_MODEL_FILE})
  add_dependencies(bulwark_chat nudity_model)
  set_tests_properties(test_chat_e2e PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
endif()
if(TARGET bulwark_chat)
  add_test(NAME test_chat_relay
    COMMAND ${BW_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/chat/test_relay.py
            $<TARGET_FILE:bulwark_chat>)
  set_tests_properties(test_chat_relay PROPERTIES TIMEOUT 300)
endif()

# The nudity classifier inside the SDK gives libbulwark's answers.
if(TARGET bulwark_device_decoders)
  add_executable(test_device_nudity unit/test_device_nudity.c)
  target_include_directories(test_device_nudity PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(test_device_nudity PRIVATE BW_TEST_DATA="${BW_TEST_DATA}"
    BW_NUDITY_MODEL_FILE="${BW_NUDITY_MODEL_FILE}")
  target_link_libraries(test_device_nudity PRIVATE bulwark_device_decoders bulwark_static m)
  add_dependencies(test_device_nudity nudity_model)
  add_test(NAME test_device_nudity COMMAND test_device_nudity)
  set_tests_properties(test_device_nudity PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
  if(BW_SANITIZE OR BW_TSAN)
    set_tests_properties(test_device_nudity PROPERTIES ENVIRONMENT BW_TEST_QUICK=1)
  endif()
endif()
