/* Adding up the workers' counts (the list is SS_COUNTS in ss.h). */
#include "commands/smpstress/ss.h"

#define SS_ADD_SUM(a, b, name) a->name += b->name
#define SS_ADD_MAX(a, b, name) a->name = b->name > a->name ? b->name : a->name
#define SS_ADD(name, how)      SS_ADD_##how(a, b, name);

void smpstress_counts_add(struct ss_counts *a, const struct ss_counts *b)
{
    SS_COUNTS(SS_ADD)
}
