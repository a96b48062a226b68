/* See random.h. getrandom() may return fewer bytes than asked (requests over
 * 256 bytes, or a signal): loop until the buffer is full. */
#include "random.h"
#include "err.h"

#include <errno.h>
#include <sys/random.h>

int random_bytes(void *out, size_t len)
{
    unsigned char *p = out;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return SU_ERR;
        }
        p += n;
        len -= (size_t)n;
    }
    return SU_OK;
}
