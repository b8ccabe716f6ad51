/* Private to the control server: what its files share. */
#ifndef RELMAN_CTL_INTERNAL_H
#define RELMAN_CTL_INTERNAL_H

#include "relman/ctl.h"

/* Registers the built-in process command handlers (ctl-procs.c). */
void rm__ctl_register_procs(struct rm_ctl *ctl);

#endif
