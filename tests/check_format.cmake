# cmake -DSOURCE_DIR=<repository root> -P check_format.cmake : fails when a C++ file of the repository
# is not formatted as .clang-format says (the tree was formatted once with Debian 12's clang-format 14;
# other versions may disagree on details). Test data (tests/data) is not checked.
find_program(CLANG_FORMAT NAMES clang-format clang-format-14)
if(NOT CLANG_FORMAT)
  message(FATAL_ERROR "format_check: clang-format was not found on PATH; install it "
    "(scripts/install-deps.sh installs it; on Debian: apt-get install clang-format) and run the test again")
endif()
execute_process(COMMAND "${CLANG_FORMAT}" --version OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)

set(files "")
foreach(dir app core ui tests)
  file(GLOB_RECURSE found "${SOURCE_DIR}/${dir}/*.h" "${SOURCE_DIR}/${dir}/*.cpp")
  list(APPEND files ${found})
endforeach()
list(FILTER files EXCLUDE REGEX "^${SOURCE_DIR}/tests/data/")
list(LENGTH files n)
if(n EQUAL 0)
  message(FATAL_ERROR "format_check: no C++ files found under ${SOURCE_DIR}")
endif()

execute_process(COMMAND "${CLANG_FORMAT}" --dry-run --Werror ${files}
  WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "format_check: files differ from .clang-format (${version}):\n${err}${out}\n"
    "Fix them with: clang-format -i FILE...")
endif()
message(STATUS "format_check: ${n} files formatted as .clang-format says (${version})")
