/* See qr.h. */
#include "qr.h"
#include "core/mem.h"

#include <qrencode.h>
#include <stdlib.h>

char *qr_modules(const char *text, int *width)
{
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q)
        return NULL;
    size_t n = (size_t)q->width * (size_t)q->width;
    char *out = xmalloc(n + 1);
    if (out) {
        for (size_t i = 0; i < n; i++)
            out[i] = (q->data[i] & 1) ? '1' : '0';
        out[n] = '\0';
        *width = q->width;
    }
    QRcode_free(q);
    return out;
}
