/* See sysstat.h. */
#include "sysstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void machine_times(struct proc_sample *out)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return;
    unsigned long long v[10] = {0};
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
               &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) >= 8) {
        double hz = (double)sysconf(_SC_CLK_TCK), total = 0;
        for (int i = 0; i < 8; i++)
            total += (double)v[i];
        out->machine_total = total / hz;
        out->machine_busy = (total - (double)v[3] - (double)v[4]) / hz;
    }
    fclose(f);
}

/* ppid (field 4) and utime + stime (14, 15) of one process; -1 when gone. */
static int read_stat(int pid, int *ppid, double *cpu)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may contain spaces */
    if (!p)
        return -1;
    unsigned long long utime = 0, stime = 0;
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        field++;
        if (field == 4)
            *ppid = atoi(tok);
        else if (field == 14)
            utime = strtoull(tok, NULL, 10);
        else if (field == 15) {
            stime = strtoull(tok, NULL, 10);
            break;
        }
    }
    *cpu = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

int proc_parent(int pid)
{
    int ppid = 0;
    double cpu;
    return read_stat(pid, &ppid, &cpu) == 0 ? ppid : 0;
}

double proc_children_cpu(int ppid)
{
    double sum = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        int pid = atoi(e->d_name), parent = 0;
        double cpu = 0;
        if (pid > 0 && read_stat(pid, &parent, &cpu) == 0 && parent == ppid)
            sum += cpu;
    }
    closedir(d);
    return sum;
}

void proc_sample(int pid, struct proc_sample *out)
{
    memset(out, 0, sizeof *out);
    machine_times(out);
    if (pid <= 0)
        return;
    int ppid = 0;
    if (read_stat(pid, &ppid, &out->cpu_seconds) != 0)
        return;
    char path[64];
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "VmHWM:", 6) == 0)
                out->hwm_kb = strtoll(line + 6, NULL, 10);
            else if (strncmp(line, "VmRSS:", 6) == 0)
                out->rss_kb = strtoll(line + 6, NULL, 10);
        }
        fclose(f);
    }
    out->ok = true;
}

void batch_metrics_parse(const char *text, size_t len, struct batch_metrics *out)
{
    memset(out, 0, sizeof *out);
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        char buf[256];
        size_t n = (size_t)(eol - line) < sizeof buf - 1 ? (size_t)(eol - line) : sizeof buf - 1;
        memcpy(buf, line, n);
        buf[n] = '\0';
        line = eol + 1;
        const char *sp = strrchr(buf, ' ');
        if (!sp)
            continue;
        double value = strtod(sp + 1, NULL);
        if (strncmp(buf, "suara_batch_size_bucket{le=\"", 29) == 0 &&
            out->n_buckets < BATCH_BUCKETS) {
            const char *le = buf + 29;
            out->le[out->n_buckets] = strncmp(le, "+Inf", 4) == 0 ? 1e300 : strtod(le, NULL);
            out->cumulative[out->n_buckets++] = value;
        } else if (strncmp(buf, "suara_batch_size_sum ", 21) == 0) {
            out->sum = value;
            out->ok = true;
        } else if (strncmp(buf, "suara_batch_size_count ", 23) == 0) {
            out->count = value;
        } else if (strncmp(buf, "suara_ack_latency_seconds_sum ", 30) == 0) {
            out->ack_sum = value;
        } else if (strncmp(buf, "suara_ack_latency_seconds_count ", 32) == 0) {
            out->ack_count = value;
        }
    }
}
