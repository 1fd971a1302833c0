# Cells: one relocatable ELF object (ET_REL) per cell, built with the kernel code model so every
# call between the core and a cell is a direct PC32/PLT32. The sources of a cell are compiled
# with the flags below and merged with `ld.lld -r` into build/cells/<name>@<version>.o.
# Cells compile exactly as the core does (KeelKernel.cmake); nothing is cell-specific but the
# version each add_cell defines (KEEL_CELL_VERSION).
set(KEEL_CELL_CFLAGS ${KEEL_KERNEL_CFLAGS})
# The cells' public headers (cells/include/keel/: the cell descriptor, commands, arguments).
add_library(keel_cell_api INTERFACE)
target_include_directories(keel_cell_api INTERFACE ${CMAKE_SOURCE_DIR}/cells/include)
target_link_libraries(keel_cell_api INTERFACE keel_kernel_api)
set(KEEL_CELL_DIR ${CMAKE_BINARY_DIR}/cells)
file(MAKE_DIRECTORY ${KEEL_CELL_DIR})

# add_cell(<name> SOURCES <files...> [VERSION <n>] [NO_CHECK] [TEST])
# Builds build/cells/<name>@<n>.o (VERSION defaults to 1; KEEL_CELL_VERSION is defined for the
# sources). Unless NO_CHECK (for deliberately malformed test objects), the build validates the
# object with `cellinfo --check`, so a cell the kernel would refuse fails the build.
# Every cell is recorded in the global properties KEEL_CELLS (object paths), KEEL_CELL_TARGETS
# (the targets that build them) and KEEL_CELL_SOURCES ("<name>@<n>\t<sources>", relative to the
# source tree: tools/keel swap says which files the version it builds comes from). TEST cells (fault provokers, benchmarks, in-guest test suites)
# are also listed in KEEL_TEST_CELLS: the tests boot them, the user's keel.iso leaves them out.
function(add_cell name)
  cmake_parse_arguments(C "NO_CHECK;TEST" "VERSION" "SOURCES" ${ARGN})
  if(NOT C_VERSION)
    set(C_VERSION 1)
  endif()
  if(NOT C_SOURCES)
    message(FATAL_ERROR "add_cell(${name}): SOURCES is required")
  endif()
  set(target cell_${name}_v${C_VERSION})
  add_library(${target}_objs OBJECT ${C_SOURCES})
  target_compile_options(${target}_objs PRIVATE ${KEEL_CELL_CFLAGS}
                                                -DKEEL_CELL_VERSION=${C_VERSION})
  # Every component's public headers, and cells/ itself, so that a cell can include another
  # cell's header: "hello/hello.h" (tests/layers.txt).
  target_include_directories(${target}_objs PRIVATE ${CMAKE_SOURCE_DIR}/cells)
  target_link_libraries(${target}_objs PRIVATE keel_cell_api keel_loader_api keel_tasking_api)
  set(out ${KEEL_CELL_DIR}/${name}@${C_VERSION}.o)
  set(check_cmd "")
  if(NOT C_NO_CHECK AND TARGET cellinfo)
    set(check_cmd COMMAND $<TARGET_FILE:cellinfo> --check ${out})
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${KEEL_LD_LLD} -r -o ${out} $<TARGET_OBJECTS:${target}_objs>
    ${check_cmd}
    DEPENDS ${target}_objs $<TARGET_OBJECTS:${target}_objs> $<$<TARGET_EXISTS:cellinfo>:cellinfo>
    COMMAND_EXPAND_LISTS
    COMMENT "Cell ${name}@${C_VERSION}")
  add_custom_target(${target} ALL DEPENDS ${out})
  set_property(GLOBAL APPEND PROPERTY KEEL_CELLS ${out})
  set_property(GLOBAL APPEND PROPERTY KEEL_CELL_TARGETS ${target})
  set(rel "")
  foreach(src ${C_SOURCES})
    get_filename_component(abs ${src} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    file(RELATIVE_PATH r ${CMAKE_SOURCE_DIR} ${abs})
    list(APPEND rel ${r})
  endforeach()
  list(JOIN rel " " rel)
  set_property(GLOBAL APPEND PROPERTY KEEL_CELL_SOURCES "${name}@${C_VERSION}\t${rel}")
  if(C_TEST)
    set_property(GLOBAL APPEND PROPERTY KEEL_TEST_CELLS ${out})
  endif()
endfunction()

# add_command(<name> SOURCES <files...> SUMMARY "<one line>" USAGE "<name> [args]" [VERSION n]
#             [TEST])
# A shell command: the cell cmd_<name> (exporting cmd_<name>_main, see keel/command.h) with its
# own index record (a generated source that places KEEL_COMMAND_RECORD: what the shell needs to
# run and list a command cell pushed at run time), plus a line in the image's command index (the
# global property KEEL_COMMAND_INDEX; KeelImage.cmake writes it as the boot module
# commands.index). A TEST command is left out of the index and of keel.iso: a test pushes it.
function(add_command name)
  cmake_parse_arguments(C "TEST" "SUMMARY;USAGE;VERSION" "SOURCES" ${ARGN})
  if(NOT C_SUMMARY OR NOT C_USAGE)
    message(FATAL_ERROR "add_command(${name}): SUMMARY and USAGE are required")
  endif()
  if(NOT name MATCHES "^[A-Za-z0-9_-]+$")
    message(FATAL_ERROR "add_command(${name}): a name is letters, digits, '_' and '-'")
  endif()
  foreach(text IN ITEMS "${C_SUMMARY}" "${C_USAGE}")
    if(text MATCHES "[\t\r\n]")
      message(FATAL_ERROR "add_command(${name}): USAGE and SUMMARY are one line without tabs")
    endif()
  endforeach()
  if(NOT C_VERSION)
    set(C_VERSION 1)
  endif()
  # The record as C string literals: backslashes and double quotes escaped.
  set(record "")
  set(sep "")
  foreach(text IN ITEMS "${name}" "${C_USAGE}" "${C_SUMMARY}")
    string(REPLACE "\\" "\\\\" text "${text}")
    string(REPLACE "\"" "\\\"" text "${text}")
    string(APPEND record "${sep}\"${text}\"")
    set(sep ", ")
  endforeach()
  # The usage line, for the command's own messages: KEEL_COMMAND_USAGE in a header every source
  # of the cell is compiled with (-include), so USAGE here is its only copy.
  string(REPLACE "\\" "\\\\" usage_c "${C_USAGE}")
  string(REPLACE "\"" "\\\"" usage_c "${usage_c}")
  set(usage_h ${CMAKE_CURRENT_BINARY_DIR}/cmd_${name}@${C_VERSION}_usage.h)
  file(CONFIGURE OUTPUT ${usage_h} CONTENT
       "/* Generated by add_command (cmake/KeelCell.cmake): the usage line given as USAGE. */
#define KEEL_COMMAND_USAGE \"@usage_c@\"
" @ONLY)
  set(record_c ${CMAKE_CURRENT_BINARY_DIR}/cmd_${name}@${C_VERSION}_record.c)
  file(CONFIGURE OUTPUT ${record_c} CONTENT
       "/* Generated by add_command (cmake/KeelCell.cmake): the command's index record. */
#include <keel/command.h>

KEEL_COMMAND_RECORD(@record@);
" @ONLY)
  if(C_TEST)
    add_cell(cmd_${name} SOURCES ${C_SOURCES} ${record_c} VERSION ${C_VERSION} TEST)
  else()
    add_cell(cmd_${name} SOURCES ${C_SOURCES} ${record_c} VERSION ${C_VERSION})
    set_property(GLOBAL APPEND PROPERTY KEEL_COMMAND_INDEX
                 "${name}\t${C_USAGE}\t${C_SUMMARY}\tcmd_${name}@${C_VERSION}.o")
  endif()
  target_compile_options(cell_cmd_${name}_v${C_VERSION}_objs PRIVATE -include ${usage_h})
endfunction()
