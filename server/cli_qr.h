/* QR codes of a witness's link (BASE/saksi#t=TOKEN) for `suara token create`:
 * drawn in a terminal, or as a printable HTML card with an SVG code. The
 * symbols come from libqrencode (Debian libqrencode-dev), error correction
 * level M, so a creased or smudged card still scans. */
#ifndef SUARA_CLI_QR_H
#define SUARA_CLI_QR_H

#include <stdbool.h>
#include <stdio.h>

/* The code of `text` in `out`, two modules per character cell (UTF-8 half
 * blocks), black on white whatever the terminal's colours. False when the
 * text cannot be encoded (too long) or on no memory. */
bool qr_print_terminal(FILE *out, const char *text);

struct qr_card {
    const char *link;       /* what the code carries */
    const char *scope;      /* region or TPS code */
    const char *scope_name; /* e.g. "TPS 001" */
    const char *place;      /* e.g. "Pahandut, Pahandut, Kota Palangkaraya", may be "" */
    const char *name;       /* the token's name, may be "" */
};

/* A printable HTML page with one card: the code as inline SVG, the TPS, the
 * witness's name, and what to do with it. Text is HTML-escaped. */
bool qr_write_card(FILE *out, const struct qr_card *card);

#endif
