/* See thread.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* gettid through syscall */
#endif
#include "thread.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* setpriority on a thread id applies to that thread alone on Linux. */
int thread_lower_priority(int nice_by)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int now = getpriority(PRIO_PROCESS, (id_t)tid);
    if (!nice_by || errno != 0)
        return errno;
    return setpriority(PRIO_PROCESS, (id_t)tid, now + nice_by) == 0 ? 0 : errno;
}

void thread_name(const char *name)
{
    prctl(PR_SET_NAME, name, 0, 0, 0);
}
