/* See files.h. */
#include "files.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *mime;
    bool text; /* worth a pre-compressed twin */
} mime_types[] = {
    {".html", "text/html; charset=utf-8", true},
    {".js", "text/javascript; charset=utf-8", true},
    {".mjs", "text/javascript; charset=utf-8", true},
    {".css", "text/css; charset=utf-8", true},
    {".json", "application/json", true},
    {".svg", "image/svg+xml", true},
    {".png", "image/png", false},
    {".ico", "image/x-icon", false},
    {".webmanifest", "application/manifest+json", true},
    {".txt", "text/plain; charset=utf-8", true},
    {".woff2", "font/woff2", false},
};

/* The index of the file's type in mime_types, or -1 for a view. */
static int type_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    for (int i = 0; dot && i < (int)(sizeof mime_types / sizeof mime_types[0]); i++) {
        if (strcmp(dot, mime_types[i].ext) == 0)
            return i;
    }
    return -1;
}

static bool regular_file(const char *path, struct stat *st)
{
    return stat(path, st) == 0 && S_ISREG(st->st_mode);
}

static bool forbidden(const char *path)
{
    return path[0] != '/' || strstr(path, "..") || strstr(path, "/.") ||
           strncmp(path, "/node_modules/", 14) == 0;
}

/* The validators of the original file: the ETag names its size and
 * modification time to the nanosecond, so any edit changes it. */
static void set_validators(struct file_answer *out, const struct stat *st)
{
    out->mtime = st->st_mtim.tv_sec;
    snprintf(out->etag, sizeof out->etag, "\"%llx-%llx.%lx%s\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
             out->gzip ? "-gz" : "");
    struct tm tm;
    gmtime_r(&out->mtime, &tm);
    strftime(out->last_modified, sizeof out->last_modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Whether a gzip file was made from the file with this stat: its header's
 * MTIME (RFC 1952) is the file's modification time and its trailer's ISIZE
 * the file's size (both modulo 2^32). Comparing the twin's own time with the
 * file's would not do: a copy that does not keep times (cp, a deploy) can
 * make a twin from before an edit look newer than the file. */
static bool twin_matches(int fd, off_t twin_size, const struct stat *orig)
{
    unsigned char head[10], tail[4];
    if (twin_size < 18 || pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
        pread(fd, tail, sizeof tail, twin_size - 4) != (ssize_t)sizeof tail)
        return false;
    uint32_t mtime = (uint32_t)head[4] | (uint32_t)head[5] << 8 | (uint32_t)head[6] << 16 |
                     (uint32_t)head[7] << 24;
    uint32_t isize = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                     (uint32_t)tail[3] << 24;
    return head[0] == 0x1f && head[1] == 0x8b && head[2] == 8 &&
           mtime == (uint32_t)orig->st_mtim.tv_sec && isize == (uint32_t)orig->st_size;
}

/* Switches the answer to FILE.gz when it exists and was made from the file
 * as it is now (twin_matches); otherwise the file itself is sent. */
static void prefer_twin(struct file_answer *out, const struct stat *orig)
{
    char twin[sizeof out->path];
    struct stat st;
    int n = snprintf(twin, sizeof twin, "%s.gz", out->path);
    if (n <= 0 || (size_t)n >= sizeof twin)
        return;
    int fd = open(twin, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && twin_matches(fd, st.st_size, orig);
    close(fd);
    if (!ok)
        return;
    memcpy(out->path, twin, (size_t)n + 1);
    out->size = (size_t)st.st_size;
    out->gzip = true;
}

static bool answer_with(const char *dir, const char *rel, int type, bool accept_gzip,
                        struct file_answer *out)
{
    struct stat st;
    int n = snprintf(out->path, sizeof out->path, "%s%s", dir, rel);
    if (n <= 0 || (size_t)n >= sizeof out->path || !regular_file(out->path, &st))
        return false;
    out->mime = mime_types[type].mime;
    out->compressible = mime_types[type].text;
    out->size = (size_t)st.st_size;
    out->gzip = false;
    if (accept_gzip && out->compressible)
        prefer_twin(out, &st);
    set_validators(out, &st);
    return true;
}

bool files_resolve(const char *static_dir, const char *url_path, bool accept_gzip,
                   struct file_answer *out)
{
    if (forbidden(url_path))
        return false;
    int type = type_of(url_path);
    if (type >= 0)
        return answer_with(static_dir, url_path, type, accept_gzip, out); /* else a 404 */
    return answer_with(static_dir, "/index.html", 0, accept_gzip, out);
}

/* The next comma-separated element of a header list, trimmed: [*start, *end). */
static bool next_element(const char **p, const char **start, const char **end)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    if (!*s)
        return false;
    const char *e = s;
    while (*e && *e != ',')
        e++;
    *p = e;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *start = s;
    *end = e;
    return true;
}

/* q=0 in the parameters of one Accept-Encoding element: "not acceptable". */
static bool refused(const char *params, const char *end)
{
    for (const char *q = params; q + 1 < end; q++) {
        if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
            double v = strtod(q + 2, NULL);
            return v <= 0.0;
        }
    }
    return false;
}

bool files_accepts_gzip(const char *accept_encoding)
{
    const char *p = accept_encoding ? accept_encoding : "", *s, *e;
    while (next_element(&p, &s, &e)) {
        const char *name_end = s;
        while (name_end < e && *name_end != ';' && *name_end != ' ')
            name_end++;
        size_t len = (size_t)(name_end - s);
        bool gzip = (len == 4 && strncasecmp(s, "gzip", 4) == 0) || (len == 1 && *s == '*');
        if (gzip && !refused(name_end, e))
            return true;
    }
    return false;
}

/* Weak comparison (RFC 9110 8.8.3.2): W/ prefixes do not matter. */
static bool tag_matches(const char *s, const char *e, const char *etag)
{
    if (e - s == 1 && *s == '*')
        return true;
    if (e - s > 2 && s[0] == 'W' && s[1] == '/')
        s += 2;
    size_t len = strlen(etag);
    return (size_t)(e - s) == len && memcmp(s, etag, len) == 0;
}

bool files_not_modified(const struct file_answer *f, const char *if_none_match,
                        const char *if_modified_since)
{
    if (if_none_match && *if_none_match) {
        const char *p = if_none_match, *s, *e;
        while (next_element(&p, &s, &e)) {
            if (tag_matches(s, e, f->etag))
                return true;
        }
        return false;
    }
    if (!if_modified_since || !*if_modified_since)
        return false;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(if_modified_since, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!rest || *rest)
        return false; /* not an IMF-fixdate: ignore it, as RFC 9110 says */
    return f->mtime <= timegm(&tm);
}
