# PKI unit tests (shared/pki.c): certificate/proof logic, and TLS interop
# with NNG's mbedTLS transport.  Included from tests/CMakeLists.txt.
# tests/CMakeLists.txt may already register test_pki itself; define it only once.
if(NOT TARGET test_pki)
  add_executable(test_pki ${CMAKE_CURRENT_LIST_DIR}/test_pki.c)
  target_link_libraries(test_pki PRIVATE rewind_shared PkgConfig::CMOCKA Threads::Threads)
  set_target_properties(test_pki PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME unit.pki COMMAND test_pki)
  set_tests_properties(unit.pki PROPERTIES LABELS unit TIMEOUT 120)
endif()

add_executable(test_pki_nng ${CMAKE_CURRENT_LIST_DIR}/test_pki_nng.c)
target_link_libraries(test_pki_nng PRIVATE rewind_shared PkgConfig::CMOCKA nng::nng
                      Threads::Threads)
set_target_properties(test_pki_nng PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
add_test(NAME unit.pki_nng COMMAND test_pki_nng)
set_tests_properties(unit.pki_nng PROPERTIES LABELS unit TIMEOUT 120)
