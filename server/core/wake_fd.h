/* A wake-up between threads: an eventfd that the other thread write()s to
 * and the reader polls (a uv_poll_t on a loop, or a blocking read). One
 * write is one system call, so a thread of lower priority preempted around
 * it cannot hold the reader up; libuv 1.44's uv_async_send can, since its
 * sender marks the handle busy before the write and done after it, and the
 * woken loop spins until it sees "done" (docs/benchmarks.md, "Quiet
 * machine"). The reader resets the fd first, then takes what was handed
 * over (core/lf_list.h): a hand-off after the take has its write still to
 * come, so no wake-up is lost; one before it is taken, and its write wakes
 * the reader once more for nothing. */
#ifndef SUARA_CORE_WAKE_FD_H
#define SUARA_CORE_WAKE_FD_H

#include <stdbool.h>

/* The fd, or -1 with errno set. Non-blocking for a loop's reader. */
int wake_fd_open(bool nonblocking);
/* Any thread. */
void wake_fd_signal(int fd);
/* Clears it; on a blocking fd, waits for a signal first. */
void wake_fd_reset(int fd);

#endif
