/* A test fixture (sched@3): round robin, but answering a level out of range, so the core takes
 * the policy out and its own copy of the priority policy takes over
 * (tests/qemu/sched_policy_tests.py). */
#define ROUND_ROBIN_BROKEN
#include "round_robin.c"
