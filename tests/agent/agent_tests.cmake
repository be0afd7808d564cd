# Tests of the agent's Kubernetes side (included from agent/agent.cmake).
# Labels: unit (pure, no processes), agent (against rewind-kubesim, python3
# fakes on loopback).  Binaries go to ${CMAKE_BINARY_DIR}/tests.
set(AGENT_TEST_DIR ${CMAKE_SOURCE_DIR}/tests/agent)

function(agent_test_binary name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE rewind_agentlib PkgConfig::CMOCKA)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
endfunction()

foreach(t kubecfg rollout podstate probe)
  agent_test_binary(test_agent_${t} ${AGENT_TEST_DIR}/test_agent_${t}.c)
  add_test(NAME unit.agent_${t} COMMAND test_agent_${t})
  set_tests_properties(unit.agent_${t} PROPERTIES LABELS unit)
endforeach()


# --- against rewind-kubesim and python3 fakes (label agent) ------------------
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/kubesim/CMakeLists.txt)
  agent_test_binary(it_agent ${AGENT_TEST_DIR}/it_agent.c)
  add_dependencies(it_agent rewind-kubesim)  # the test runs it
  add_test(NAME agent.kube
           COMMAND bash ${AGENT_TEST_DIR}/run_agent_it.sh $<TARGET_FILE:rewind-kubesim>
                   ${AGENT_TEST_DIR}/scenario-agent.json $<TARGET_FILE:it_agent>)
  set_tests_properties(agent.kube PROPERTIES LABELS agent TIMEOUT 180)
endif()

# RSS/CPU of podwatch with 110 pods on one node (prints the numbers).
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/kubesim/CMakeLists.txt)
  add_executable(bench_podwatch ${AGENT_TEST_DIR}/bench_podwatch.c)
  target_link_libraries(bench_podwatch PRIVATE rewind_agentlib)
  set_target_properties(bench_podwatch PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_dependencies(bench_podwatch rewind-kubesim)
  add_test(NAME agent.podwatch_110
           COMMAND bash ${AGENT_TEST_DIR}/run_agent_it.sh $<TARGET_FILE:rewind-kubesim>
                   ${AGENT_TEST_DIR}/scenario-110pods.json $<TARGET_FILE:bench_podwatch> 5)
  set_tests_properties(agent.podwatch_110 PROPERTIES LABELS agent TIMEOUT 120)
endif()
