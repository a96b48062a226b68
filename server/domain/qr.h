/* QR codes of a witness's link (BASE/saksi#t=TOKEN) for the cards an admin
 * prints from the browser: the symbol's modules, computed by libqrencode
 * (Debian libqrencode-dev) with error correction level M, as the command
 * line's cards are, so a creased or smudged card still scans. Computation
 * only: the web client draws the modules. */
#ifndef SUARA_DOMAIN_QR_H
#define SUARA_DOMAIN_QR_H

/* The modules of `text`'s code, row by row from the top left, '1' dark and
 * '0' light, without the quiet zone: width * width characters and a NUL,
 * malloc'd. NULL when the text is too long for a QR code or on no memory. */
char *qr_modules(const char *text, int *width);

#endif
