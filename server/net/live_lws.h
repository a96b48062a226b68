/* The live feed's side of libwebsockets, for web.c only: the app sees live.h,
 * which names no lws type. */
#ifndef SUARA_NET_LIVE_LWS_H
#define SUARA_NET_LIVE_LWS_H

#include "live.h"

#include <libwebsockets.h>

/* WebSocket callbacks from web.c; *conn is the connection's slot. */
int live_callback(struct live *l, struct lws *wsi, enum lws_callback_reasons reason,
                  struct live_conn **conn, void *in, size_t len);
/* The token an upgraded connection came in with (its SHA-256, as auth keeps
 * it), checked again by live_tokens_reloaded. */
void live_conn_set_token(struct live_conn *c, const char *bearer);

#endif
