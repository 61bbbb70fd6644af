/* fault/fault_internal.h - what the fault subsystem's files share: the fault records and
 * the nemesis (fault.c, fault_lua.c) and the measurement of what faults cost (recovery.c). */
#ifndef RENKEI_FAULT_FAULT_INTERNAL_H
#define RENKEI_FAULT_FAULT_INTERNAL_H

#include "fault/fault.h"

struct lua_State;

/* fault_lua.c */
void fault_nemesis_free_all(faults *fs);

/* recovery.c */
/* Start measuring: listen to the platform and the flows, register the invariant about lost
 * writes. Called once, when the fault records are created. */
int fault_recovery_attach(domain *d);
void fault_recovery_fault_started(domain *d, fault *f);
/* Push the faults' figures to Lua (results of expectations). */
void fault_recovery_push_results(struct lua_State *L, domain *d);
/* Set id, kind, target, start, end (once ended) and active on the table at the top. */
void fault_recovery_push_fault_head(struct lua_State *L, const fault *f);

#endif
