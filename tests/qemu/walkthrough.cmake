# docs/writing-a-command.md, followed: in a copy of the tree, write the files the walkthrough
# shows, build the new command's cell, boot the image with it and type the transcript
# (tests/qemu/walkthrough_tests.py). Configuring and building the copy takes most of the time.
keel_qemu_cases(walkthrough_tests.py PREFIX qemu_ TIMEOUT 300)
