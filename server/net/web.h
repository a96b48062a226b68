/* libwebsockets on the app's libuv loop: one vhost, one port, serving the
 * HTTP API, the live WebSocket and the web client's static files. */
#ifndef SUARA_NET_WEB_H
#define SUARA_NET_WEB_H

#include "api.h"
#include "core/config.h"

#include <stdbool.h>
#include <uv.h>

struct lws_context_creation_info;

struct web;
struct live;

/* Fills info with what every lws context of the server shares (the
 * counting loop's, the live thread's); host: the address it will listen on. */
void web_context_info(struct lws_context_creation_info *info, const struct config *cfg,
                      const char *host);

/* Creates the context and listens. NULL only when out of memory; when
 * listening fails (port in use, bad TLS files) it returns a web that is not
 * web_listening, with a message in err, to be torn down like any other. */
struct web *web_start(uv_loop_t *loop, const struct config *cfg, struct api *api, struct live *live,
                      char *err, size_t err_size);
bool web_listening(const struct web *w);
/* Starts lws's asynchronous teardown: keep running the loop afterwards. */
void web_stop(struct web *w);
/* After the loop has run dry: finishes teardown and frees. */
void web_free(struct web *w);

#endif
