/* POST /api/v1/tokens/cards (admin): a witness token for every TPS of a
 * kecamatan, desa or TPS, for the cards an admin prints from the browser;
 * see api_cards.c. */
#ifndef SUARA_NET_API_CARDS_H
#define SUARA_NET_API_CARDS_H

#include "api.h"

/* At most this many TPS (so tokens) in one request: a kecamatan of
 * Kalimantan Tengah has at most a few hundred. */
#define CARDS_MAX_TPS 500

enum route_result api_cards_post(struct api *api, struct http_request *req, struct http_reply *rep);

#endif
