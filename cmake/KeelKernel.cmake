# Kernel-side flags: clang as a cross compiler for x86_64-elf. Cells compile with these same flags
# (KeelCell.cmake): the same code model, so that every call between the core and a cell is a
# direct PC32/PLT32.
set(KEEL_KERNEL_TARGET x86_64-elf)
set(KEEL_KERNEL_CFLAGS
    --target=${KEEL_KERNEL_TARGET} -std=gnu11 -O2 -g
    -ffreestanding -nostdlibinc -fno-pic -mcmodel=kernel -mno-red-zone -mgeneral-regs-only
    -ffunction-sections -fdata-sections -fno-common -fno-omit-frame-pointer
    -mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables -fno-stack-protector
    -fno-builtin-printf
    -Wall -Wextra -Werror -Wno-unused-parameter)

find_program(KEEL_LD_LLD NAMES ld.lld ld.lld-14 REQUIRED)
# Strips debug info from the image's cells (KeelImage.cmake) and from what keelctl pushes.
find_program(KEEL_OBJCOPY NAMES llvm-objcopy llvm-objcopy-14 REQUIRED)

# The core's public headers (kernel/include/keel/) as a target to link. Each component has one
# (keel_<component>_api, beside its code); a component's libraries link the headers they build
# on, so whoever links a library gets its include path with it.
add_library(keel_kernel_api INTERFACE)
target_include_directories(keel_kernel_api INTERFACE ${CMAKE_SOURCE_DIR}/kernel/include)

# keel_kernel_objects(<target> <sources...>): an object library built with the kernel flags, for
# the core image (kernel/CMakeLists.txt links the objects of every such library).
function(keel_kernel_objects target)
  add_library(${target} OBJECT ${ARGN})
  target_compile_options(${target} PRIVATE ${KEEL_KERNEL_CFLAGS})
  target_link_libraries(${target} PUBLIC keel_kernel_api)
endfunction()
