/* Settings of the calling thread, for the threads the server starts beside
 * its loop (the live thread, the photo checker). */
#ifndef SUARA_CORE_THREAD_H
#define SUARA_CORE_THREAD_H

/* Lowers the calling thread's scheduling priority by nice_by (0: leaves it).
 * 0, or the errno of the failure. */
int thread_lower_priority(int nice_by);
/* Names the calling thread (at most 15 characters), as ps -L and
 * /proc/PID/task/TID/comm show it. */
void thread_name(const char *name);

#endif
