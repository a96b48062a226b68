/* One error vocabulary for the whole server (after nginx's NGX_OK/ERROR/AGAIN).
 * Functions that can fail return SU_OK (0) or a negative code; SU_AGAIN means
 * "nothing wrong, call again when the loop says so". */
#ifndef SUARA_CORE_ERR_H
#define SUARA_CORE_ERR_H

enum su_err {
    SU_OK = 0,
    SU_ERR = -1,      /* generic failure, details logged where it happened */
    SU_AGAIN = -2,    /* would block: retry later */
    SU_NOMEM = -3,    /* allocation failed */
    SU_TOOBIG = -4,   /* a bounded buffer or queue is full */
    SU_NOTFOUND = -5, /* lookup missed */
    SU_INVAL = -6,    /* malformed input */
};

const char *su_strerror(int err);

#endif
