# The live-swap host test: swaps real clang-built test cells (tests/cells/ls_*.c, several
# versions each) with the loader_swap_* API and executes them. Uses keel_loader_test from
# loader.cmake (included before this fragment): -no-pie, low regions, the test platform.
keel_loader_test(loader_swap_test)
add_dependencies(loader_swap_test ${KEEL_SWAP_TEST_CELL_TARGETS})
