// SPDX-License-Identifier: GPL-2.0
/*
 * keel_lp: a livepatch of one function, the counterpart of a Keel live swap. It replaces
 * cmdline_proc_show (what /proc/cmdline prints) by a version that prints a fixed marker, so the
 * benchmark can see the patch took effect. Loading it enables the patch; the benchmark times
 * from the load until /sys/kernel/livepatch/keel_lp/transition reads 0.
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int keel_lp_cmdline_show(struct seq_file *m, void *v)
{
	seq_puts(m, "keel_lp: patched\n");
	return 0;
}

static struct klp_func keel_lp_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = keel_lp_cmdline_show },
	{}
};

static struct klp_object keel_lp_objs[] = {
	{ .name = NULL /* vmlinux */, .funcs = keel_lp_funcs },
	{}
};

static struct klp_patch keel_lp_patch = {
	.mod = THIS_MODULE,
	.objs = keel_lp_objs,
};

static int __init keel_lp_init(void)
{
	return klp_enable_patch(&keel_lp_patch);
}

static void __exit keel_lp_exit(void)
{
}

module_init(keel_lp_init);
module_exit(keel_lp_exit);
MODULE_DESCRIPTION("Keel benchmark: livepatch of cmdline_proc_show");
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
