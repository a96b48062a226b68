/* Which file of the web client's folder answers a path, and whether the
 * browser's copy is still good. The policy lives here, apart from lws: a path
 * whose extension is one the client ships is a file (missing: 404); any other
 * path is a view of the single-page client and gets index.html, so every view
 * has its own URL (region codes and contest ids contain dots, hence the list
 * of known extensions). Hidden files, "..", and node_modules (test tooling)
 * are never served.
 *
 * Every file carries validators (a strong ETag from its size and modification
 * time, and Last-Modified), so a browser revalidates with a 304 instead of
 * downloading again. A text file with a pre-compressed twin (FILE.gz, made by
 * the build) is answered with the twin when the browser accepts gzip and the
 * twin's header says it was made from the file as it is now (its time and
 * size); the twin has an ETag of its own (a different representation). */
#ifndef SUARA_NET_FILES_H
#define SUARA_NET_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct file_answer {
    char path[1024]; /* the file to send (the .gz twin when gzip) */
    const char *mime;
    size_t size;            /* of the file to send */
    bool gzip;              /* send with Content-Encoding: gzip */
    bool compressible;      /* a text type: the answer varies with Accept-Encoding */
    time_t mtime;           /* of the original file */
    char etag[64];          /* quoted, e.g. "1f3a-65f0c2a1.3b9aca00" or ...-gz" */
    char last_modified[40]; /* IMF-fixdate, e.g. Tue, 01 Dec 2026 08:00:00 GMT */
};

/* True with the answer filled in, false for 404. accept_gzip: the request's
 * Accept-Encoding allows gzip (files_accepts_gzip). */
bool files_resolve(const char *static_dir, const char *url_path, bool accept_gzip,
                   struct file_answer *out);

/* Whether an Accept-Encoding header value allows gzip (not at q=0). NULL or
 * empty: no. */
bool files_accepts_gzip(const char *accept_encoding);

/* Whether the browser's copy is current, so a 304 answers: If-None-Match
 * (any listed tag, weak or strong, or "*") decides when present; otherwise
 * If-Modified-Since at or after the file's time. NULL or empty: absent. */
bool files_not_modified(const struct file_answer *f, const char *if_none_match,
                        const char *if_modified_since);

#endif
