# The boot image: keel.iso with the kernel, every cell built under cells/ as a boot module (debug
# info stripped: the loader needs only the symbol table, and GRUB reads every byte from the ISO
# under emulation), cells/boot.manifest and the command index (commands.index, from add_command).
# TEST cells are left out of keel.iso. build/image/modules.txt lists the image's module
# arguments (file=name; keel.iso is made from it, as are tools/keel run's images with other
# command lines), build/image/test-modules.txt the test cells, so the QEMU tests can build
# variants of the image with other command lines and modules. build/image/cell-sources.txt says
# which source files each cell version is built from (for tools/keel swap).
get_property(all_cells GLOBAL PROPERTY KEEL_CELLS)
get_property(test_cells GLOBAL PROPERTY KEEL_TEST_CELLS)
get_property(KEEL_IMAGE_CELL_TARGETS GLOBAL PROPERTY KEEL_CELL_TARGETS)
set(KEEL_MANIFEST ${CMAKE_SOURCE_DIR}/cells/boot.manifest)
set(image_dir ${CMAKE_BINARY_DIR}/image)
file(MAKE_DIRECTORY ${image_dir}/cells)

set(module_lines "")
set(test_lines "")
set(image_files "")
foreach(cell ${all_cells})
  get_filename_component(cell_name ${cell} NAME)
  if(cell IN_LIST test_cells)
    string(APPEND test_lines "${cell}=${cell_name}\n")
    continue()
  endif()
  set(stripped ${image_dir}/cells/${cell_name})
  add_custom_command(OUTPUT ${stripped}
                     COMMAND ${KEEL_OBJCOPY} --strip-debug ${cell} ${stripped}
                     DEPENDS ${cell} COMMENT "Image: ${cell_name} without debug info")
  list(APPEND image_files ${stripped})
  string(APPEND module_lines "${stripped}=${cell_name}\n")
endforeach()
string(APPEND module_lines "${KEEL_MANIFEST}=boot.manifest\n")

# The command index: one line per command cell (name, usage, summary, object), for the shell.
get_property(command_lines GLOBAL PROPERTY KEEL_COMMAND_INDEX)
set(index_text "")
foreach(line IN LISTS command_lines)
  string(APPEND index_text "${line}\n")
endforeach()
set(KEEL_COMMAND_INDEX_FILE ${image_dir}/commands.index)
file(WRITE ${KEEL_COMMAND_INDEX_FILE}.tmp "${index_text}")
configure_file(${KEEL_COMMAND_INDEX_FILE}.tmp ${KEEL_COMMAND_INDEX_FILE} COPYONLY)
string(APPEND module_lines "${KEEL_COMMAND_INDEX_FILE}=commands.index\n")

get_property(source_lines GLOBAL PROPERTY KEEL_CELL_SOURCES)
set(sources_text "")
foreach(line IN LISTS source_lines)
  string(APPEND sources_text "${line}\n")
endforeach()

foreach(list_file modules test-modules cell-sources)
  if(list_file STREQUAL "modules")
    set(text "${module_lines}")
  elseif(list_file STREQUAL "test-modules")
    set(text "${test_lines}")
  else()
    set(text "${sources_text}")
  endif()
  file(WRITE ${image_dir}/${list_file}.txt.tmp "${text}")
  configure_file(${image_dir}/${list_file}.txt.tmp ${image_dir}/${list_file}.txt COPYONLY)
endforeach()

set(KEEL_ISO ${CMAKE_BINARY_DIR}/keel.iso)
add_custom_command(
  OUTPUT ${KEEL_ISO}
  COMMAND ${CMAKE_SOURCE_DIR}/tools/mkiso.sh -o ${KEEL_ISO} -k ${KEEL_ELF}
          -M ${image_dir}/modules.txt
  DEPENDS ${KEEL_ELF} ${image_files} ${KEEL_MANIFEST} ${KEEL_COMMAND_INDEX_FILE}
          ${image_dir}/modules.txt ${CMAKE_SOURCE_DIR}/tools/mkiso.sh
  COMMENT "Building keel.iso (kernel, cells, boot manifest)")
add_custom_target(image ALL DEPENDS ${KEEL_ISO})
# The kernel and the cells are made by rules in other directories: order by target as well.
add_dependencies(image kernel ${KEEL_IMAGE_CELL_TARGETS})
