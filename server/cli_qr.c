/* See cli_qr.h. */
#include "cli_qr.h"

#include <qrencode.h>
#include <string.h>

#define QUIET 4 /* modules of white border the standard asks for */

static QRcode *encode(const char *text)
{
    return QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
}

static bool dark(const QRcode *q, int x, int y)
{
    if (x < 0 || y < 0 || x >= q->width || y >= q->width)
        return false;
    return q->data[y * q->width + x] & 1;
}

bool qr_print_terminal(FILE *out, const char *text)
{
    QRcode *q = encode(text);
    if (!q)
        return false;
    /* Black on white (ANSI 30;47): a scanner needs dark modules on light. */
    for (int y = -QUIET; y < q->width + QUIET; y += 2) {
        fputs("\033[30;47m", out);
        for (int x = -QUIET; x < q->width + QUIET; x++) {
            bool top = dark(q, x, y), bottom = dark(q, x, y + 1);
            fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", out);
        }
        fputs("\033[0m\n", out);
    }
    QRcode_free(q);
    return true;
}

static void escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

/* One path of unit squares for the dark modules (one "M x y h1v1h-1z" each). */
static void svg_code(FILE *out, const QRcode *q)
{
    int size = q->width + 2 * QUIET;
    fprintf(out,
            "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
            "shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"Kode QR tautan saksi\">"
            "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
            size, size, size, size);
    for (int y = 0; y < q->width; y++) {
        for (int x = 0; x < q->width; x++) {
            if (dark(q, x, y))
                fprintf(out, "M%d %dh1v1h-1z", x + QUIET, y + QUIET);
        }
    }
    fputs("\"/></svg>\n", out);
}

bool qr_write_card(FILE *out, const struct qr_card *c)
{
    QRcode *q = encode(c->link);
    if (!q)
        return false;
    fputs("<!doctype html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">"
          "<title>Kartu saksi ",
          out);
    escaped(out, c->scope);
    fputs("</title>\n<style>\n"
          "body{font-family:system-ui,sans-serif;margin:1cm}\n"
          ".card{width:9cm;border:1px solid #000;border-radius:4mm;padding:5mm;"
          "break-inside:avoid}\n"
          ".qr{width:5cm;height:5cm;display:block;margin:2mm auto}\n"
          "h1{font-size:14pt;margin:0 0 2mm}p{margin:1mm 0;font-size:10pt}\n"
          "code{font-size:7pt;word-break:break-all}\n"
          "</style></head><body>\n<section class=\"card\">\n<h1>Saksi ",
          out);
    escaped(out, c->scope_name);
    fputs(" &middot; ", out);
    escaped(out, c->scope);
    fputs("</h1>\n", out);
    if (*c->place) {
        fputs("<p>", out);
        escaped(out, c->place);
        fputs("</p>\n", out);
    }
    if (*c->name) {
        fputs("<p><strong>", out);
        escaped(out, c->name);
        fputs("</strong></p>\n", out);
    }
    svg_code(out, q);
    fputs("<p>Pindai dengan kamera HP, buka tautannya, lalu pasang aplikasi (Tambahkan ke layar "
          "utama). Lakukan sebelum hari pemungutan, di tempat yang ada sinyal, sampai tertulis "
          "&ldquo;Siap dipakai tanpa sinyal&rdquo;. Kartu ini rahasia: siapa pun yang "
          "memegangnya dapat mengirim formulir atas nama Anda.</p>\n<p><code>",
          out);
    escaped(out, c->link);
    fputs("</code></p>\n</section>\n</body></html>\n", out);
    QRcode_free(q);
    return !ferror(out);
}
