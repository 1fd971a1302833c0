# docs/writing-a-command.md, followed: in a copy of the tree, write the files the walkthrough
# shows, build the new command's cell, boot the image with it and type the transcript
# (tests/qemu/walkthrough_tests.py). Configuring and building the copy takes most of the time.
add_test(NAME qemu_walkthrough
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/qemu/walkthrough_tests.py
                 --build ${CMAKE_BINARY_DIR} --workdir ${CMAKE_BINARY_DIR}/tests/qemu walkthrough)
set_tests_properties(qemu_walkthrough PROPERTIES LABELS qemu TIMEOUT 300)
