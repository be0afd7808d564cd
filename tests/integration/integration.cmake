# Integration tests: the real rewindd and rewindctl over real TLS, against a
# private PostgreSQL started by tests/lib/pgtest.sh.  Each script gets the
# binary directory as its first argument.
add_executable(rwraw ${CMAKE_CURRENT_SOURCE_DIR}/tools/rwraw.c)
target_link_libraries(rwraw PRIVATE rewind_shared)
set_target_properties(rwraw PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

foreach(t roles badinput migrate restart registry artifacts agents failover coord incident audit pgrestart netns fanout crashpoints)
  add_test(NAME integration.${t}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_${t}.sh
                   ${CMAKE_BINARY_DIR}/bin ${CMAKE_BINARY_DIR}/tests)
  set_tests_properties(integration.${t} PROPERTIES LABELS integration TIMEOUT 300)
endforeach()

add_test(NAME integration.demo
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_demo.sh ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(integration.demo PROPERTIES LABELS integration TIMEOUT 300)

