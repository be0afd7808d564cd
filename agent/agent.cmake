# rewind_agentlib: the agent's Kubernetes side (config, API client, pod
# watch, rollout logic, probes, action executors).  Included from the
# top-level CMakeLists.txt; the agent's session code links it.
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)

add_library(rewind_agentlib STATIC
  ${CMAKE_SOURCE_DIR}/agent/kubecfg.c
  ${CMAKE_SOURCE_DIR}/agent/kube.c
  ${CMAKE_SOURCE_DIR}/agent/rollout.c
  ${CMAKE_SOURCE_DIR}/agent/podstate.c
  ${CMAKE_SOURCE_DIR}/agent/podwatch.c
  ${CMAKE_SOURCE_DIR}/agent/probe.c
  ${CMAKE_SOURCE_DIR}/agent/kaction.c)
target_include_directories(rewind_agentlib PUBLIC ${CMAKE_SOURCE_DIR}/agent)
target_link_libraries(rewind_agentlib PUBLIC rewind_shared PkgConfig::CURL PkgConfig::JANSSON
                      PkgConfig::YAML Threads::Threads)

if(NOT REWIND_FUZZ)
  include(${CMAKE_SOURCE_DIR}/tests/agent/agent_tests.cmake OPTIONAL)
endif()
