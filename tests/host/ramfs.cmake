# The ramfs cell's freestanding parts (cells/ramfs/index.c: the name index; size.c: sizes such as
# "16M" for ramfs.quota=) and the core's cells_origin_users over a real loader with retired
# versions (kernel/link/cells_origin.c).
keel_host_test(ramfs_index_test SOURCES ${CMAKE_SOURCE_DIR}/tests/host/ramfs_index_test.c
               ${CMAKE_SOURCE_DIR}/cells/ramfs/index.c ${CMAKE_SOURCE_DIR}/cells/ramfs/size.c)
target_include_directories(ramfs_index_test PRIVATE ${CMAKE_SOURCE_DIR}/cells)
keel_loader_test(cells_origin_test)
target_sources(cells_origin_test PRIVATE ${CMAKE_SOURCE_DIR}/kernel/link/cells_origin.c)
