# cellinfo and the loader-vs-libelf differential test (see docs/cellinfo.md).
#
# This file has two roles:
#   - included by tests/CMakeLists.txt (after cells/ and tests/cells/ are configured): registers
#     cell_diff_test and the cellinfo command-line tests;
#   - run by CTest as a script (cmake -DCASE=... -P cellinfo.cmake): the command-line test cases,
#     which need to create files and inspect output.

if(CMAKE_SCRIPT_MODE_FILE)
  # ---- script mode: one command-line test case ------------------------------------------------
  # Inputs: CASE (all | bad | usage), CELLINFO (the tool), CELL_LIST (file, one object per line),
  # WORK (scratch directory).
  function(run out_rc out_text)
    execute_process(COMMAND ${CELLINFO} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o
                    ERROR_VARIABLE e)
    set(${out_rc} ${rc} PARENT_SCOPE)
    set(${out_text} "${o}${e}" PARENT_SCOPE)
  endfunction()
  # expect("<if() condition>" "<what is checked>" "<output to show on failure>")
  function(expect cond what text)
    set(pass FALSE)
    cmake_language(EVAL CODE "if(${cond})\nset(pass TRUE)\nendif()")
    if(NOT pass)
      message(FATAL_ERROR "FAILED: ${what}\n--- cellinfo output ---\n${text}")
    endif()
    message(STATUS "ok: ${what}")
  endfunction()

  if(CASE STREQUAL "usage")
    run(rc out)
    expect("rc EQUAL 2" "no arguments: exit 2 (got ${rc})" "${out}")
    string(FIND "${out}" "usage: cellinfo" at)
    expect("at GREATER -1" "no arguments: prints the usage" "${out}")
    run(rc out --frobnicate x.o)
    expect("rc EQUAL 2" "unknown option: exit 2 (got ${rc})" "${out}")
    string(FIND "${out}" "unknown option '--frobnicate'" at)
    expect("at GREATER -1" "unknown option: named" "${out}")
    run(rc out --check)
    expect("rc EQUAL 2" "--check without objects: exit 2 (got ${rc})" "${out}")
    run(rc out --help)
    expect("rc EQUAL 0" "--help: exit 0 (got ${rc})" "${out}")
    string(FIND "${out}" "--check" at)
    expect("at GREATER -1" "--help: documents --check" "${out}")
    return()
  endif()

  file(STRINGS ${CELL_LIST} cells)
  list(LENGTH cells ncells)
  if(ncells EQUAL 0)
    message(FATAL_ERROR "FAILED: no cell objects (the KEEL_CELLS list is empty): nothing to test")
  endif()

  if(CASE STREQUAL "all")
    run(rc out --check ${cells})
    expect("rc EQUAL 0" "--check on all ${ncells} cells: exit 0 (got ${rc})" "${out}")
    string(REGEX MATCH "[^\n]*: cell '[^\n]*" problem "${out}")
    expect("NOT problem" "--check on all cells: no loader message" "${out}")

    run(rc out ${cells})
    expect("rc EQUAL 0" "report on all cells: exit 0 (got ${rc})" "${out}")
    string(REGEX MATCHALL "\n  loader: ok\n" oks "${out}")
    list(LENGTH oks noks)
    expect("noks EQUAL ncells" "report: 'loader: ok' once per cell (${noks}/${ncells})" "${out}")
    foreach(cell ${cells})
      get_filename_component(base ${cell} NAME)
      # build/cells/<name>@<version>.o
      string(REGEX REPLACE "@([0-9]+)\\.o$" "" name "${base}")
      string(REGEX REPLACE "^.*@([0-9]+)\\.o$" "\\1" version "${base}")
      string(FIND "${out}" "${cell}: cell ${name}, version ${version}\n" at)
      expect("at GREATER -1" "report names ${name} version ${version}" "${out}")
      string(FIND "${out}" "  sections (" at)
      expect("at GREATER -1" "report lists sections" "${out}")
    endforeach()

    run(rc out --json ${cells})
    expect("rc EQUAL 0" "--json on all cells: exit 0 (got ${rc})" "${out}")
    string(JSON n ERROR_VARIABLE jerr LENGTH "${out}")
    expect("NOT jerr" "--json output parses" "${out}")
    expect("n EQUAL ncells" "--json: one element per cell (${n}/${ncells})" "${out}")
    math(EXPR last "${ncells} - 1")
    foreach(i RANGE ${last})
      list(GET cells ${i} cell)
      get_filename_component(base ${cell} NAME)
      string(REGEX REPLACE "@([0-9]+)\\.o$" "" name "${base}")
      string(JSON ok GET "${out}" ${i} ok)
      string(JSON jname GET "${out}" ${i} cell name)
      string(JSON nsec LENGTH "${out}" ${i} sections)
      expect("ok AND jname STREQUAL name AND nsec GREATER 0"
             "--json element ${i}: ok, named ${name}, has sections" "${out}")
    endforeach()
    return()
  endif()

  if(CASE STREQUAL "bad")
    file(REMOVE_RECURSE ${WORK})
    file(MAKE_DIRECTORY ${WORK})
    list(GET cells 0 good)

    # Not an ELF file at all.
    string(REPEAT "this is not an ELF object, just some text\n" 8 text)
    file(WRITE ${WORK}/notelf.o "${text}")
    run(rc out --check ${WORK}/notelf.o)
    expect("rc EQUAL 1" "non-ELF file: exit 1 (got ${rc})" "${out}")
    string(REGEX MATCH "notelf\\.o: cell 'notelf\\.o': not an ELF file" m "${out}")
    expect("m" "non-ELF file: the loader's message names the file and the problem" "${out}")
    run(rc out ${WORK}/notelf.o)
    expect("rc EQUAL 1" "non-ELF file, full report: exit 1 (got ${rc})" "${out}")
    string(FIND "${out}" "loader: refused (KE_" at)
    expect("at GREATER -1" "non-ELF file, full report: says refused" "${out}")

    # A good cell cut short: its section headers (at the end) are gone.
    file(SIZE ${good} size)
    math(EXPR half "${size} / 2")
    execute_process(COMMAND head -c ${half} ${good} OUTPUT_FILE ${WORK}/truncated.o
                    RESULT_VARIABLE hrc)
    expect("hrc EQUAL 0" "made a truncated copy of ${good}" "")
    run(rc out --check ${WORK}/truncated.o)
    expect("rc EQUAL 1" "truncated cell: exit 1 (got ${rc})" "${out}")
    string(REGEX MATCH "truncated\\.o: cell 'truncated\\.o': [^\n]*beyond end of file" m "${out}")
    expect("m" "truncated cell: the loader's message names the problem" "${out}")

    # Shorter than an ELF header.
    execute_process(COMMAND head -c 20 ${good} OUTPUT_FILE ${WORK}/stub.o)
    run(rc out --check ${WORK}/stub.o)
    expect("rc EQUAL 1" "20-byte stub: exit 1 (got ${rc})" "${out}")
    string(REGEX MATCH "stub\\.o: cell 'stub\\.o': file too small for an ELF header" m "${out}")
    expect("m" "20-byte stub: the loader's message" "${out}")

    # A valid ET_REL x86_64 object that is not a cell (a host object: no descriptor).
    if(HOST_OBJECT)
      list(GET HOST_OBJECT 0 host_object)
      run(rc out --check ${host_object})
      expect("rc EQUAL 1" "host object: exit 1 (got ${rc})" "${out}")
      string(REGEX MATCH ": cell '[^']+': no \\.keel_cell descriptor" m "${out}")
      expect("m" "host object: the loader's message" "${out}")
    endif()

    # Missing file; and one bad object among good ones still fails the whole run.
    run(rc out --check ${WORK}/missing.o)
    expect("rc EQUAL 1" "missing file: exit 1 (got ${rc})" "${out}")
    string(FIND "${out}" "missing.o: cannot read: No such file" at)
    expect("at GREATER -1" "missing file: says so" "${out}")
    run(rc out --check ${good} ${WORK}/notelf.o ${good})
    expect("rc EQUAL 1" "good, bad, good: exit 1 (got ${rc})" "${out}")
    run(rc out --json ${WORK}/notelf.o ${good})
    string(JSON ok0 ERROR_VARIABLE jerr GET "${out}" 0 ok)
    string(JSON ok1 ERROR_VARIABLE jerr1 GET "${out}" 1 ok)
    string(JSON err0 ERROR_VARIABLE jerr2 GET "${out}" 0 error)
    expect("rc EQUAL 1 AND NOT jerr AND NOT ok0 AND ok1 AND err0 MATCHES \"not an ELF file\""
           "--json: bad object ok=false with the loader's error, good one ok=true" "${out}")
    return()
  endif()
  message(FATAL_ERROR "unknown CASE '${CASE}'")
endif()

# ---- configure mode: register the tests ------------------------------------------------------
if(NOT TARGET cellinfo)
  message(WARNING "cellinfo: the tool is not configured; its tests are skipped")
  return()
endif()

get_property(keel_cell_objects GLOBAL PROPERTY KEEL_CELLS)
if(NOT keel_cell_objects)
  message(WARNING "cellinfo: no cells in KEEL_CELLS: cell_diff_test and cellinfo_all will fail")
endif()
# One object per line; the tests read it (a list cannot travel through an add_test argument).
string(REPLACE ";" "\n" keel_cell_lines "${keel_cell_objects}")
set(keel_cell_list ${CMAKE_CURRENT_BINARY_DIR}/cell_objects.txt)
file(GENERATE OUTPUT ${keel_cell_list} CONTENT "${keel_cell_lines}\n")

# The cell targets (add_cell names them cell_<name>_v<version>), so building a test builds them.
set(keel_cell_targets "")
foreach(obj ${keel_cell_objects})
  get_filename_component(base ${obj} NAME)
  string(REGEX REPLACE "^(.*)@([0-9]+)\\.o$" "cell_\\1_v\\2" t "${base}")
  if(TARGET ${t})
    list(APPEND keel_cell_targets ${t})
  endif()
endforeach()

# The loader (keel_loader_host: loader/CMakeLists.txt), natively with ASan+UBSan.
keel_host_test(cell_diff_test
               SOURCES ${CMAKE_SOURCE_DIR}/tests/host/cell_diff_test.c
                       ${CMAKE_SOURCE_DIR}/tools/cellinfo/elfview.c
                       ${CMAKE_SOURCE_DIR}/kernel/lib/format.c
                       ${CMAKE_SOURCE_DIR}/kernel/lib/errno.c
               LIBS keel_loader_host ${KEEL_LIBELF})
target_include_directories(cell_diff_test PRIVATE ${KEEL_LIBELF_INCLUDE})
set_tests_properties(cell_diff_test PROPERTIES ENVIRONMENT "KEEL_CELL_LIST=${keel_cell_list}")
if(keel_cell_targets)
  add_dependencies(cell_diff_test ${keel_cell_targets})
endif()

foreach(case all bad usage)
  add_test(NAME cellinfo_${case}
           COMMAND ${CMAKE_COMMAND} -DCASE=${case} -DCELLINFO=$<TARGET_FILE:cellinfo>
                   -DCELL_LIST=${keel_cell_list}
                   -DWORK=${CMAKE_CURRENT_BINARY_DIR}/cellinfo_work/${case}
                   -DHOST_OBJECT=$<TARGET_OBJECTS:cellinfo>
                   -P ${CMAKE_SOURCE_DIR}/tests/host/cellinfo.cmake)
  set_tests_properties(cellinfo_${case} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
