// SPDX-License-Identifier: GPL-2.0
/*
 * keel_hello: the smallest module tools/bench/linux.py loads and unloads, the counterpart of
 * Keel's bench_small cell. Its init and exit print nothing, so a round measures the module
 * loader, not the console.
 */
#include <linux/init.h>
#include <linux/module.h>

static int keel_hello_loads;

static int __init keel_hello_init(void)
{
	keel_hello_loads++;
	return 0;
}

static void __exit keel_hello_exit(void)
{
	keel_hello_loads--;
}

module_init(keel_hello_init);
module_exit(keel_hello_exit);
MODULE_DESCRIPTION("Keel benchmark: an empty module to load and unload");
MODULE_LICENSE("GPL");
