/* Two clocks: the wall clock (milliseconds since the epoch) for timestamps
 * that are stored or shown, and the monotonic clock for every deadline and
 * duration, which a wall-clock step (NTP, an operator) must not stretch or
 * cut short. And RFC 3339 UTC text. */
#ifndef SUARA_CORE_CLOCK_H
#define SUARA_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t clock_now_ms(void);
/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
int64_t clock_mono_ms(void);
/* The CPU time this process has used, in milliseconds: what a start-up
 * costs on a machine shared with others, where its wall time says little. */
int64_t clock_cpu_ms(void);
/* The CPU time the calling thread has used, in milliseconds: one part's
 * share of a start-up whose parts run on several threads. */
int64_t clock_thread_cpu_ms(void);
/* Writes e.g. "2024-11-27T06:00:01.123Z"; needs 25 bytes. */
void clock_format_rfc3339(int64_t ms, char *out, size_t size);

#endif
