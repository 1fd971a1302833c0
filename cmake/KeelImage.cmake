# The boot image: keel.iso with the kernel, every cell built under cells/ as a boot module,
# cells/boot.manifest and the command index (commands.index, from add_command). build/image/modules.txt lists the module arguments (file=name) so the
# QEMU tests can build variants of the same image with other command lines.
get_property(KEEL_IMAGE_CELLS GLOBAL PROPERTY KEEL_CELLS)
get_property(KEEL_IMAGE_CELL_TARGETS GLOBAL PROPERTY KEEL_CELL_TARGETS)
set(KEEL_MANIFEST ${CMAKE_SOURCE_DIR}/cells/boot.manifest)
set(module_args "")
set(module_lines "")
foreach(cell ${KEEL_IMAGE_CELLS})
  get_filename_component(cell_name ${cell} NAME)
  list(APPEND module_args -m ${cell}=${cell_name})
  string(APPEND module_lines "${cell}=${cell_name}\n")
endforeach()
list(APPEND module_args -m ${KEEL_MANIFEST}=boot.manifest)
string(APPEND module_lines "${KEEL_MANIFEST}=boot.manifest\n")

# The command index: one line per command cell (name, usage, summary, object), for the shell.
get_property(command_lines GLOBAL PROPERTY KEEL_COMMAND_INDEX)
set(index_text "")
foreach(line IN LISTS command_lines)
  string(APPEND index_text "${line}\n")
endforeach()
set(KEEL_COMMAND_INDEX_FILE ${CMAKE_BINARY_DIR}/image/commands.index)
file(WRITE ${KEEL_COMMAND_INDEX_FILE}.tmp "${index_text}")
configure_file(${KEEL_COMMAND_INDEX_FILE}.tmp ${KEEL_COMMAND_INDEX_FILE} COPYONLY)
list(APPEND module_args -m ${KEEL_COMMAND_INDEX_FILE}=commands.index)
string(APPEND module_lines "${KEEL_COMMAND_INDEX_FILE}=commands.index\n")
file(WRITE ${CMAKE_BINARY_DIR}/image/modules.txt.tmp "${module_lines}")
configure_file(${CMAKE_BINARY_DIR}/image/modules.txt.tmp ${CMAKE_BINARY_DIR}/image/modules.txt
               COPYONLY)

set(KEEL_ISO ${CMAKE_BINARY_DIR}/keel.iso)
add_custom_command(
  OUTPUT ${KEEL_ISO}
  COMMAND ${CMAKE_SOURCE_DIR}/tools/mkiso.sh -o ${KEEL_ISO} -k ${KEEL_ELF} ${module_args}
  DEPENDS ${KEEL_ELF} ${KEEL_IMAGE_CELLS} ${KEEL_MANIFEST} ${KEEL_COMMAND_INDEX_FILE}
          ${CMAKE_SOURCE_DIR}/tools/mkiso.sh
  COMMENT "Building keel.iso (kernel, cells, boot manifest)")
add_custom_target(image ALL DEPENDS ${KEEL_ISO})
# The kernel and the cells are made by rules in other directories: order by target as well.
add_dependencies(image kernel ${KEEL_IMAGE_CELL_TARGETS})
