/* Text for the shared error codes of err.h. */
#include "err.h"

const char *su_strerror(int err)
{
    switch (err) {
    case SU_OK:
        return "ok";
    case SU_AGAIN:
        return "try again";
    case SU_NOMEM:
        return "out of memory";
    case SU_TOOBIG:
        return "limit reached";
    case SU_NOTFOUND:
        return "not found";
    case SU_INVAL:
        return "invalid input";
    default:
        return "error";
    }
}
