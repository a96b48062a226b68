/* `suara seed`: loads the election's static facts (regions, TPS, contests and
 * candidate pairs) from a seed folder into the database.
 *
 * This file is the command's I/O: it finds the folder's six files (their
 * layout and every rule about their content are in domain/seed.h), reads
 * them, prints the problems domain/seed reports as FILE:LINE: message, and
 * only when there are none hands the checked model to db/seed_write, which
 * loads it in one transaction. */
#include "cli.h"
#include "core/buf.h"
#include "core/err.h"
#include "db/seed_write.h"
#include "db/sync.h"
#include "domain/seed.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define WHO "suara seed"
#define HINT "(see `suara seed --help`)\n"
#define REPORT_MAX 100                   /* problems printed before the rest are only counted */
#define JSON_SIZE_MAX (16 * 1024 * 1024) /* bytes of contests.json */
#define CSV_SIZE_MAX (256 * 1024 * 1024) /* bytes of one CSV file */
#define PATH_BYTES 4096

static const char usage[] =
    "Usage: suara seed [--db CONNINFO] [--check] DIR\n"
    "\n"
    "Loads regions, TPS, contests and candidate pairs from the seed folder DIR,\n"
    "e.g. schema/seed/kalteng-2024. DIR holds six files with one common prefix:\n"
    "  PREFIXprovinsi.csv   code,name\n"
    "  PREFIXkabupaten.csv  code,name\n"
    "  PREFIXkecamatan.csv  code,kabupaten_code,name\n"
    "  PREFIXdesa.csv       code,kecamatan_code,name[,kind]\n"
    "  PREFIXtps.csv        code,desa_code,number,dpt\n"
    "  PREFIXcontests.json  contests with their candidate pairs\n"
    "Every row is checked before anything is written; problems are reported as\n"
    "FILE:LINE: message and then nothing is written. The load is one transaction\n"
    "that inserts or updates rows, so running it again is harmless.\n"
    "\n"
    "Options:\n"
    "  --db CONNINFO   libpq connection string or URI (default: $SUARA_DB)\n"
    "  --check         only check the files; do not touch a database\n"
    "  --help          show this help\n"
    "\n"
    "Exit status: 0 loaded (or valid), 1 bad data or failure, 2 usage error.\n";

/* The seed folder: its files' paths and contents, as domain/seed takes them. */
struct folder {
    const char *dir;
    char prefix[256];
    char path[SEED_NFILES][PATH_BYTES];
    char error[SEED_NFILES][160]; /* why a file could not be read */
    struct buf text[SEED_NFILES];
    struct seed_file files[SEED_NFILES];
};

/* Finds the one PREFIXprovinsi.csv in the folder. SU_OK or SU_ERR (reported). */
static int find_prefix(struct folder *f)
{
    DIR *d = opendir(f->dir);
    if (!d) {
        fprintf(stderr, WHO ": cannot open the seed folder %s: %s\n", f->dir, strerror(errno));
        return SU_ERR;
    }
    int found = 0;
    const char *suffix = seed_file_suffix(LEVEL_PROVINCE);
    size_t slen = strlen(suffix);
    for (;;) {
        struct dirent *e = readdir(d);
        if (!e)
            break;
        size_t len = strlen(e->d_name);
        if (len < slen || strcmp(e->d_name + len - slen, suffix) != 0 ||
            len - slen >= sizeof f->prefix)
            continue;
        if (found++)
            fprintf(stderr,
                    WHO ": %s has more than one *%s (%s%s and %s); keep one seed per folder\n",
                    f->dir, suffix, f->prefix, suffix, e->d_name);
        snprintf(f->prefix, sizeof f->prefix, "%.*s", (int)(len - slen), e->d_name);
    }
    closedir(d);
    if (found == 0)
        fprintf(stderr, WHO ": %s has no *%s: is it a seed folder?\n", f->dir, suffix);
    return found == 1 ? SU_OK : SU_ERR;
}

/* Reads a whole file of at most max bytes into f's text[i] and describes it
 * in files[i]; a file that cannot be read carries the reason, reported later
 * in the order the checks reach it. */
static void read_file(struct folder *f, int i, size_t max)
{
    struct seed_file *file = &f->files[i];
    *file = (struct seed_file){.path = f->path[i]};
    buf_init(&f->text[i], max);
    FILE *fp = fopen(file->path, "rb");
    if (!fp) {
        snprintf(f->error[i], sizeof f->error[i], "cannot open: %s", strerror(errno));
        file->error = f->error[i];
        return;
    }
    char chunk[8192];
    size_t n;
    do {
        n = fread(chunk, 1, sizeof chunk, fp);
        if (buf_append(&f->text[i], chunk, n) != SU_OK) {
            snprintf(f->error[i], sizeof f->error[i], "larger than %zu bytes", max);
            file->error = f->error[i];
            break;
        }
    } while (n == sizeof chunk);
    if (!file->error && ferror(fp)) {
        snprintf(f->error[i], sizeof f->error[i], "%s", strerror(errno));
        file->read_error = f->error[i];
    }
    fclose(fp);
    file->data = f->text[i].data;
    file->len = f->text[i].len;
}

/* Reads the folder's six files. */
static void read_folder(struct folder *f)
{
    for (int i = 0; i < SEED_NFILES; i++) {
        snprintf(f->path[i], PATH_BYTES, "%s/%s%s", f->dir, f->prefix, seed_file_suffix(i));
        read_file(f, i, i == SEED_CONTESTS ? JSON_SIZE_MAX : CSV_SIZE_MAX);
    }
}

static void folder_free(struct folder *f)
{
    for (int i = 0; i < SEED_NFILES; i++)
        buf_free(&f->text[i]);
}

/* Prints what domain/seed reports; past REPORT_MAX problems they are only
 * counted (the summary notes are always printed). */
static void print_report(void *ctx, const struct seed_report *r)
{
    int *printed = ctx;
    if (!r->summary && ++*printed > REPORT_MAX)
        return;
    if (r->line > 0)
        fprintf(stderr, "%s:%ld: %s\n", r->file, r->line, r->message);
    else
        fprintf(stderr, "%s: %s\n", r->file, r->message);
}

/* Finds, reads and checks the folder into s. SU_OK when the data is good. */
static int check_folder(struct seed *s, const char *dir)
{
    struct folder f = {.dir = dir};
    if (find_prefix(&f) != SU_OK)
        return SU_ERR;
    read_folder(&f);
    int rc = seed_check(s, f.files);
    folder_free(&f);
    if (rc != SU_OK) {
        fprintf(stderr, WHO ": %s\n", su_strerror(rc));
        return SU_ERR;
    }
    if (s->problems || s->unchecked) {
        if (s->problems > REPORT_MAX)
            fprintf(stderr, "... and %d more\n", s->problems - REPORT_MAX);
        fprintf(stderr, WHO ": %d problem%s in %s", s->problems, s->problems == 1 ? "" : "s", dir);
        if (s->unchecked)
            fprintf(stderr, " (and %d rows not checked)", s->unchecked);
        fprintf(stderr, "; nothing was written\n");
        return SU_ERR;
    }
    return SU_OK;
}

static void print_summary(const struct seed *s, const char *verb)
{
    int contests = (int)s->n_contests, candidates = (int)s->n_candidates;
    printf("%s %d province%s, %d kabupaten/kota, %d kecamatan, %d desa, %d TPS, "
           "%d contest%s (%d candidate%s)\n",
           verb, s->count[LEVEL_PROVINCE], s->count[LEVEL_PROVINCE] == 1 ? "" : "s",
           s->count[LEVEL_KABUPATEN], s->count[LEVEL_KECAMATAN], s->count[LEVEL_DESA],
           s->count[LEVEL_TPS], contests, contests == 1 ? "" : "s", candidates,
           candidates == 1 ? "" : "s");
}

int cli_seed(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"check", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    bool check_only = false;
    optind = 0;
    opterr = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":h", options, NULL);
        if (opt == -1)
            break;
        switch (opt) {
        case 'd':
            db = optarg;
            break;
        case 'c':
            check_only = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case ':':
            fprintf(stderr, WHO ": %s needs a value\n" HINT, argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, WHO ": unknown option %s\n" HINT, argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, WHO ": %s\n" HINT,
                optind == argc ? "no seed folder given" : "more than one seed folder given");
        return 2;
    }
    const char *conninfo = sync_conninfo(db);
    if (!conninfo && !check_only) {
        fprintf(stderr, WHO ": no database given: use --db CONNINFO or set SUARA_DB\n");
        return 2;
    }

    int printed = 0, status = 1;
    struct seed s;
    seed_init(&s, print_report, &printed);
    if (check_folder(&s, argv[optind]) != SU_OK)
        goto done;
    if (check_only) {
        print_summary(&s, "valid:");
    } else {
        if (seed_write(&s, WHO, conninfo) != SU_OK)
            goto done;
        print_summary(&s, "seeded");
    }
    status = 0;

done:
    seed_free(&s);
    return status;
}
