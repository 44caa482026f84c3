# The Python grammar is fetched from npm (verified by its integrity hash) at configure time
# and compiled as a static C library; its sources are never committed.
set(CKPTGUARD_GRAMMAR_DIR ${CMAKE_BINARY_DIR}/grammar/tree-sitter-python)
# The version is pinned (with its integrity hash) in fetch_grammar.sh only.
file(STRINGS ${CMAKE_SOURCE_DIR}/scripts/fetch_grammar.sh _grammar_version REGEX "^version=")
string(REGEX REPLACE "^version=" "" CKPTGUARD_GRAMMAR_VERSION "${_grammar_version}")
execute_process(
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/fetch_grammar.sh ${CKPTGUARD_GRAMMAR_DIR}
  RESULT_VARIABLE _grammar_rc)
if(NOT _grammar_rc EQUAL 0)
  message(FATAL_ERROR "could not fetch tree-sitter-python (see scripts/fetch_grammar.sh)")
endif()

add_library(ts_python STATIC
  ${CKPTGUARD_GRAMMAR_DIR}/src/parser.c
  ${CKPTGUARD_GRAMMAR_DIR}/src/scanner.c)
target_include_directories(ts_python PRIVATE ${CKPTGUARD_GRAMMAR_DIR}/src)
set_target_properties(ts_python PROPERTIES C_STANDARD 11)
# The generated parser is huge and simple: -O1 builds it in a fraction of the time at no real cost.
target_compile_options(ts_python PRIVATE -O1 -w)
