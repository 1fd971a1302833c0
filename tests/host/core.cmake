# host tests: core
