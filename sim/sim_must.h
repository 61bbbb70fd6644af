/* sim_must.h - SIM_MUST_CHECK marks an engine function whose failure the caller must handle:
 * scheduling, sending into a queue, storing, growing a map. Ignoring its result is a build
 * error (-Werror): every internal failure is handled or halts the run, never dropped. Where a
 * failure is benign, the caller says why in an `if`, since a (void) cast does not count. */
#ifndef RENKEI_SIM_MUST_H
#define RENKEI_SIM_MUST_H

#define SIM_MUST_CHECK __attribute__((warn_unused_result))

#endif
