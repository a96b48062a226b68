/* Which file of the web client's folder answers a path. The policy lives
 * here, apart from lws: a path whose extension is one the client ships is a
 * file (missing: 404); any other path is a view of the single-page client
 * and gets index.html, so every view has its own URL (region codes and
 * contest ids contain dots, hence the list of known extensions). Hidden
 * files, "..", and node_modules (test tooling) are never served. */
#ifndef SUARA_NET_FILES_H
#define SUARA_NET_FILES_H

#include <stdbool.h>
#include <stddef.h>

struct file_answer {
    char path[1024]; /* the file to send */
    const char *mime;
    size_t size;
};

/* True with the answer filled in, false for 404. */
bool files_resolve(const char *static_dir, const char *url_path, struct file_answer *out);

#endif
