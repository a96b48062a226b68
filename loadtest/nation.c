/* See nation.h. Per kab/kota: its real kecamatan and desa counts (desa
 * spread evenly over the kecamatan, kelurahan first), its voters taken as
 * VOTER_SHARE of its population spread evenly over its desa, and each desa's
 * voters over ceil(voters / target) TPS, never more than TPS_MAX_DPT each. */
#include "nation.h"
#include "core/mem.h"
#include "formgen.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define VOTER_SHARE 0.72 /* DPT 2024 / population, nationally */
#define TPS_MAX_DPT 300
#define FIELDS_MAX 16
#define LINE_MAX_BYTES 1024

struct kab {
    char code[8], province[4], name[128];
    int is_kota, n_kec, n_desa, n_kel;
    long long population;
};

/* Splits a CSV line (double quotes allowed) in place. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *out = p;
        f[n++] = p;
        if (*p == '"') {
            char *w = p;
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else if (!*p) {
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            f[n - 1] = out;
            *w = '\0';
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                p++;
        }
        if (*p != ',') {
            *p = '\0';
            break;
        }
        *p++ = '\0';
    }
    return n;
}

static int column(char **head, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(head[i], name) == 0)
            return i;
    }
    return -1;
}

static struct kab *read_kabupaten(const char *path, int *count)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "suara-load nation: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char line[LINE_MAX_BYTES], head_line[LINE_MAX_BYTES], *head[FIELDS_MAX], *v[FIELDS_MAX];
    struct kab *list = NULL;
    int n = 0, cap = 0;
    if (!fgets(head_line, sizeof head_line, f)) {
        fclose(f);
        return NULL;
    }
    int nh = split_csv(head_line, head, FIELDS_MAX);
    int c_code = column(head, nh, "code"), c_prov = column(head, nh, "province_code"),
        c_name = column(head, nh, "name"), c_kota = column(head, nh, "is_kota"),
        c_kec = column(head, nh, "kecamatan_count"), c_desa = column(head, nh, "desa_count"),
        c_kel = column(head, nh, "of_which_kelurahan"),
        c_pop = column(head, nh, "population_total");
    if (c_code < 0 || c_prov < 0 || c_name < 0 || c_kec < 0 || c_desa < 0 || c_pop < 0) {
        fprintf(stderr, "suara-load nation: %s lacks the kab/kota columns\n", path);
        fclose(f);
        return NULL;
    }
    while (fgets(line, sizeof line, f)) {
        int nv = split_csv(line, v, FIELDS_MAX);
        if (nv < nh)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            struct kab *p = xrealloc(list, (size_t)cap * sizeof *p);
            list = p;
        }
        struct kab *k = &list[n++];
        memset(k, 0, sizeof *k);
        snprintf(k->code, sizeof k->code, "%s", v[c_code]);
        snprintf(k->province, sizeof k->province, "%s", v[c_prov]);
        const char *name = v[c_name];
        while (*name == ' ')
            name++;
        snprintf(k->name, sizeof k->name, "%s", name);
        for (size_t len = strlen(k->name); len > 0 && k->name[len - 1] == ' ';)
            k->name[--len] = '\0'; /* the source has "Kota Administrasi Jakarta Utara " */
        k->is_kota = c_kota >= 0 ? atoi(v[c_kota]) : k->code[3] == '7';
        k->n_kec = atoi(v[c_kec]);
        k->n_desa = atoi(v[c_desa]);
        k->n_kel = c_kel >= 0 ? atoi(v[c_kel]) : 0;
        k->population = atoll(v[c_pop]);
    }
    fclose(f);
    *count = n;
    return list;
}

/* Province names from indonesia_counts.csv beside the kab/kota file, if any. */
static void province_name(const char *source, const char *code, char *out, size_t size)
{
    snprintf(out, size, "Provinsi %s", code);
    char dir[4096], path[4200], line[LINE_MAX_BYTES], *v[FIELDS_MAX];
    snprintf(dir, sizeof dir, "%s", source);
    snprintf(path, sizeof path, "%s/indonesia_counts.csv", dirname(dir));
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (split_csv(line, v, FIELDS_MAX) >= 2 && strcmp(v[0], code) == 0) {
            snprintf(out, size, "%s", v[1]);
            break;
        }
    }
    fclose(f);
}

/* Writes s as a JSON string: quoted, with quotes, backslashes and control
 * characters escaped (names come from a CSV file we do not control). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Writes s as one quoted CSV field (RFC 4180: a quote is doubled). */
static void csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* The "title" member of a contest: the words around a region's name. */
static void json_title(FILE *f, const char *before, const char *name)
{
    char title[512];
    snprintf(title, sizeof title, "%s%s (sintetis)", before, name);
    fputs("\"title\": ", f);
    json_string(f, title);
    fputs(", ", f);
}

/* Closes every file of the n in all that is open; false if one failed. */
static bool close_all(FILE **all, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        if (all[i] && fclose(all[i]) != 0)
            ok = false;
        all[i] = NULL;
    }
    return ok;
}

static FILE *open_out(const char *dir, const char *name, const char *header)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/nation_%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "suara-load nation: cannot write %s: %s\n", path, strerror(errno));
    else if (header)
        fputs(header, f);
    return f;
}

static void write_candidates(FILE *f, uint64_t h, int n)
{
    fputs("\"candidates\": [", f);
    for (int i = 1; i <= n; i++)
        fprintf(f,
                "%s{\"number\": %d, \"head\": \"Calon %d-%u\", \"deputy\": \"Wakil %d-%u\", "
                "\"verified\": false}",
                i > 1 ? ", " : "", i, i, (unsigned)(h % 1000), i, (unsigned)(h % 997));
}

/* Pemilu's legislative contests: parties (18 as in 2024) or, for the DPD,
 * individual candidates. */
struct legislature {
    const char *prefix, *kind, *title;
    int candidates;
};
static const struct legislature province_kinds[] = {
    {"dpr", "dpr", "DPR RI", 18},
    {"dpd", "dpd", "DPD RI", 20},
    {"dprdp", "dprd_provinsi", "DPRD Provinsi", 18},
};
static const struct legislature kab_kinds[] = {
    {"dprdk", "dprd_kabupaten", "DPRD Kabupaten/Kota", 18}};

static void write_legislatures(FILE *fj, const struct legislature *kinds, int n, const char *code,
                               const char *name, uint64_t h)
{
    for (int i = 0; i < n; i++) {
        char before[64];
        snprintf(before, sizeof before, "Pemilihan %s ", kinds[i].title);
        fprintf(fj, ",\n  {\"id\": \"%s-%s\", \"kind\": \"%s\", \"region\": \"%s\", ",
                kinds[i].prefix, code, kinds[i].kind, code);
        json_title(fj, before, name);
        write_candidates(fj, lt_mix(h + (uint64_t)i), kinds[i].candidates);
        fputs("]}", fj);
    }
}

int nation_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"source", required_argument, NULL, 's'},
        {"voters-per-tps", required_argument, NULL, 'v'},
        {"seed", required_argument, NULL, 'r'},
        {"pemilu", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    const char *source = SUARA_SOURCE_DIR "/schema/seed/indonesia/indonesia_kabupaten.csv";
    double target = 263;
    uint64_t seed = 1;
    bool pemilu = false;
    optind = 1;
    for (int c = getopt_long(argc, argv, "", opts, NULL); c != -1;
         c = getopt_long(argc, argv, "", opts, NULL)) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 's':
            source = optarg;
            break;
        case 'v':
            target = atof(optarg);
            break;
        case 'r':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 'p':
            pemilu = true;
            break;
        case 'h':
            printf("Usage: suara-load nation [--source indonesia_kabupaten.csv] --out DIR "
                   "[--voters-per-tps N] [--seed N] [--pemilu]\n"
                   "The default source is the project's schema/seed/indonesia copy.\n"
                   "--pemilu: five contests per TPS as in Pemilu 2024 (DPR, DPD and DPRD provinsi\n"
                   "per province, DPRD kabupaten/kota per kab/kota, and the governor's contest\n"
                   "standing in for the presidential one, which would need a national region).\n");
            return 0;
        default:
            return 2;
        }
    }
    if (!out || !source || target < 10 || target > TPS_MAX_DPT) {
        fprintf(stderr, "Usage: suara-load nation [--source indonesia_kabupaten.csv] --out DIR "
                        "[--voters-per-tps N (10..300, default 263)] [--seed N]\n");
        return 2;
    }
    int n_kab = 0;
    struct kab *kabs = read_kabupaten(source, &n_kab);
    if (!kabs || n_kab == 0) {
        free(kabs);
        return 1;
    }
    mkdir(out, 0755);
    FILE *all[] = {
        open_out(out, "provinsi.csv", "code,name\n"),
        open_out(out, "kabupaten.csv", "code,province_code,name\n"),
        open_out(out, "kecamatan.csv", "code,kabupaten_code,name\n"),
        open_out(out, "desa.csv", "code,kecamatan_code,name,kind\n"),
        open_out(out, "tps.csv", "code,desa_code,number,dpt\n"),
        open_out(out, "contests.json", NULL),
    };
    const size_t n_files = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n_files; i++) {
        if (!all[i]) {
            close_all(all, n_files);
            free(kabs);
            return 1;
        }
    }
    FILE *fp = all[0], *fk = all[1], *fc = all[2], *fd = all[3], *ft = all[4], *fj = all[5];
    fprintf(fj,
            "{\n \"election\": \"synthetic nation (suara-load)\",\n \"max_dpt_per_tps\": %d,\n"
            " \"contests\": [\n",
            TPS_MAX_DPT);
    long long n_kec = 0, n_desa = 0, n_tps = 0, voters = 0;
    int n_prov = 0;
    char last_prov[4] = "";
    bool first_contest = true;
    for (int i = 0; i < n_kab; i++) {
        struct kab *k = &kabs[i];
        if (strcmp(k->province, last_prov) != 0) {
            char name[128];
            province_name(source, k->province, name, sizeof name);
            fprintf(fp, "%s,", k->province);
            csv_field(fp, name);
            fputc('\n', fp);
            fprintf(fj, "%s  {\"id\": \"gub-%s\", \"kind\": \"gubernur\", \"region\": \"%s\", ",
                    first_contest ? "" : ",\n", k->province, k->province);
            json_title(fj, "Pemilihan Gubernur ", name);
            write_candidates(fj, lt_mix(seed + (uint64_t)n_prov),
                             2 + (int)(lt_mix(seed ^ (uint64_t)n_prov) % 3));
            fputs("]}", fj);
            if (pemilu)
                write_legislatures(fj, province_kinds, 3, k->province, name,
                                   seed + (uint64_t)n_prov);
            first_contest = false;
            snprintf(last_prov, sizeof last_prov, "%s", k->province);
            n_prov++;
        }
        fprintf(fk, "%s,%s,", k->code, k->province);
        csv_field(fk, k->name);
        fputc('\n', fk);
        fprintf(fj, ",\n  {\"id\": \"%s-%s\", \"kind\": \"%s\", \"region\": \"%s\", ",
                k->is_kota ? "wal" : "bup", k->code, k->is_kota ? "walikota" : "bupati", k->code);
        json_title(fj, "Pemilihan ", k->name);
        write_candidates(fj, lt_mix(seed + 1000u + (uint64_t)i),
                         2 + (int)(lt_mix(seed + (uint64_t)i) % 4));
        fputs("]}", fj);
        if (pemilu)
            write_legislatures(fj, kab_kinds, 1, k->code, k->name, seed + 5000u + (uint64_t)i);
        int kec = k->n_kec > 0 ? k->n_kec : 1;
        if (kec > 99)
            kec = 99;
        double desa_voters = (double)k->population * VOTER_SHARE / (k->n_desa > 0 ? k->n_desa : 1);
        int desa_done = 0, kel_done = 0;
        for (int e = 0; e < kec; e++) {
            fprintf(fc, "%s.%02d,%s,Kecamatan %d\n", k->code, e + 1, k->code, e + 1);
            n_kec++;
            int here = k->n_desa / kec + (e < k->n_desa % kec);
            for (int j = 0; j < here; j++, desa_done++) {
                bool kel = kel_done < k->n_kel;
                int num = kel ? 1001 + j : 2001 + j;
                char desa[48];
                snprintf(desa, sizeof desa, "%s.%02d.%04d", k->code, e + 1, num);
                if (kel)
                    kel_done++;
                fprintf(fd, "%s,%s.%02d,%s %d,%s\n", desa, k->code, e + 1,
                        kel ? "Kelurahan" : "Desa", j + 1, kel ? "kelurahan" : "desa");
                n_desa++;
                /* some spread between desa, the same total on average */
                uint64_t h = lt_mix(seed ^ (uint64_t)(n_desa * 2654435761u));
                double dv = desa_voters * (0.6 + 0.8 * (double)(h % 1000) / 1000.0);
                long long dvi = dv < 30 ? 30 : (long long)dv;
                long long nt = (long long)ceil((double)dvi / target);
                if (nt * TPS_MAX_DPT < dvi)
                    nt = (dvi + TPS_MAX_DPT - 1) / TPS_MAX_DPT;
                if (nt > 999)
                    nt = 999;
                for (long long t = 0; t < nt; t++) {
                    long long dpt = dvi / nt + (t < dvi % nt);
                    if (dpt > TPS_MAX_DPT)
                        dpt = TPS_MAX_DPT;
                    fprintf(ft, "%s.%03lld,%s,%lld,%lld\n", desa, t + 1, desa, t + 1, dpt);
                    n_tps++;
                    voters += dpt;
                }
            }
        }
    }
    fputs("\n ]\n}\n", fj);
    bool bad = !close_all(all, n_files);
    free(kabs);
    if (bad) {
        fprintf(stderr, "suara-load nation: writing %s failed\n", out);
        return 1;
    }
    printf("wrote %s: %d provinces, %d kab/kota, %lld kecamatan, %lld desa, %lld TPS, "
           "%lld voters, %d contests\n",
           out, n_prov, n_kab, n_kec, n_desa, n_tps, voters,
           n_prov + n_kab + (pemilu ? 3 * n_prov + n_kab : 0));
    return 0;
}
