/* See files.h. */
#include "files.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
    const char *ext, *mime;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".webmanifest", "application/manifest+json"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

/* The MIME type of a file the web client ships, or NULL for a view. */
static const char *mime_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    for (size_t i = 0; dot && i < sizeof mime_types / sizeof mime_types[0]; i++) {
        if (strcmp(dot, mime_types[i].ext) == 0)
            return mime_types[i].mime;
    }
    return NULL;
}

static bool regular_file(const char *path, size_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    *size = (size_t)st.st_size;
    return true;
}

static bool forbidden(const char *path)
{
    return path[0] != '/' || strstr(path, "..") || strstr(path, "/.") ||
           strncmp(path, "/node_modules/", 14) == 0;
}

bool files_resolve(const char *static_dir, const char *url_path, struct file_answer *out)
{
    if (forbidden(url_path))
        return false;
    out->mime = mime_of(url_path);
    int n = snprintf(out->path, sizeof out->path, "%s%s", static_dir, url_path);
    if (n > 0 && (size_t)n < sizeof out->path && out->mime && regular_file(out->path, &out->size))
        return true;
    if (out->mime)
        return false; /* a missing asset, not a view */
    n = snprintf(out->path, sizeof out->path, "%s/index.html", static_dir);
    out->mime = mime_types[0].mime;
    return n > 0 && (size_t)n < sizeof out->path && regular_file(out->path, &out->size);
}
