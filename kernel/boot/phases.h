/* Boot phases: where the time from the kernel entry to the ready line goes. kmain marks the end
 * of each step; the breakdown is one debug line of the log ("boot: phases ..."). */
#ifndef KEEL_BOOT_PHASES_H
#define KEEL_BOOT_PHASES_H

/* The step `name` (a static string) ends now. Works before the clock is calibrated (it keeps
 * the TSC); marks beyond the table's room are dropped. */
void boot_phase(const char *name);
/* Log the phases so far at debug level: "boot: phases <name> <us> us, ..., total <us> us". */
void boot_phases_log(void);

#endif
