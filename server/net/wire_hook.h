/* Feeds wire.c what libwebsockets reads from its clients' sockets, and acts
 * on its verdicts (see wire.h for what is checked and why).
 *
 * lws 4.1.6 offers no hook between its read and its parsers, so the hook is
 * the read itself: this module defines recv() and SSL_read(), which the
 * dynamic linker then binds lws's calls to (an executable's definitions come
 * first, as a malloc replacement's do), and forwards every call to the C
 * library's or OpenSSL's. Only the sockets web.c registers, lws's accepted
 * connections, are looked at; every other descriptor (libpq's above all)
 * passes untouched, as do MSG_PEEK reads. All on the loop thread. */
#ifndef SUARA_NET_WIRE_HOOK_H
#define SUARA_NET_WIRE_HOOK_H

#include <stdbool.h>

struct lws;

/* Every byte read from wsi's socket from now on is checked. Call it when lws
 * has accepted the connection, before it reads anything. */
void wire_watch(struct lws *wsi);
/* wsi is gone (its socket is already closed). */
void wire_forget(struct lws *wsi);
/* True when an unmasked frame came on wsi: the live feed then closes it with
 * 1002 (it is asked to write as soon as the frame is seen). */
bool wire_unmasked(struct lws *wsi);
/* Frees the calling thread's table (a thread that served lws connections,
 * when it ends: the live thread's). */
void wire_release_thread(void);

#endif
