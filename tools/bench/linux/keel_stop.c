// SPDX-License-Identifier: GPL-2.0
/*
 * keel_stop: the cost of stop_machine(), the Linux counterpart of Keel's world_stop + world_resume
 * (`cpus --stop N`). Each read of /proc/keel_stop runs stop_machine() once with an empty
 * function (every online CPU stopped, the function run on one of them, then all released) and
 * answers the TSC ticks the call took ("<ticks>\n"), read with rdtsc_ordered() around it in the
 * kernel; lbench converts them to ns with the rate it calibrates.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/stop_machine.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

static int keel_stop_nothing(void *arg)
{
	return 0;
}

static ssize_t keel_stop_read(struct file *file, char __user *buf, size_t len, loff_t *off)
{
	char out[32];
	u64 t0, t1;
	int err, n;

	if (*off)
		return 0;
	t0 = rdtsc_ordered();
	err = stop_machine(keel_stop_nothing, NULL, NULL);
	t1 = rdtsc_ordered();
	if (err)
		return err;
	n = scnprintf(out, sizeof(out), "%llu\n", (unsigned long long)(t1 - t0));
	return simple_read_from_buffer(buf, len, off, out, n);
}

static const struct proc_ops keel_stop_ops = {
	.proc_read = keel_stop_read,
};

static int __init keel_stop_init(void)
{
	return proc_create("keel_stop", 0400, NULL, &keel_stop_ops) ? 0 : -ENOMEM;
}

static void __exit keel_stop_exit(void)
{
	remove_proc_entry("keel_stop", NULL);
}

module_init(keel_stop_init);
module_exit(keel_stop_exit);
MODULE_DESCRIPTION("Keel benchmark: the cost of stop_machine()");
MODULE_LICENSE("GPL");
