/* See viewer_procs.h. A child is forked after the model, the plan and the
 * tokens exist (so it has them too) and before the parent sends a form; it
 * runs a fresh loop and never touches the parent's loop or database
 * connection, and leaves with _exit so that nothing of the parent's (the
 * libpq session, stdio buffers) is closed or flushed twice. */
#include "viewer_procs.h"
#include "core/mem.h"
#include "sysstat.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROCS 64

/* Down the pipe: acknowledgements, then one with contest -1 followed by the
 * model's expected nodes and votes, byte for byte (the same binary on both
 * sides). */
struct vp_ack {
    int32_t contest, tps;
    int64_t seq;
    uint64_t at_us;
};

/* Up the pipe, three times: ready, settled, verified. */
struct vp_report {
    int64_t diffs; /* -1 until verified */
    int ok;        /* 0: the child failed */
    struct viewers_stats st;
};

struct vp_child {
    pid_t pid;
    int from_fd;  /* reports, read blocking */
    uv_pipe_t to; /* acknowledgements, written from the loop */
    char *queue;  /* acknowledgements not handed to uv_write yet */
    size_t len, cap;
    int n_viewers;
    bool failed;
};

struct vprocs {
    uv_loop_t *loop;
    struct model *m;
    struct vp_child child[MAX_PROCS];
    int n;
    int writing; /* uv_write requests in flight */
    int closing; /* handles not closed yet */
    uv_check_t flush;
    struct viewers_stats st;
};

struct vp_write {
    uv_write_t req;
    struct vprocs *p;
    char *data;
};

/* ---- reports ------------------------------------------------------------ */

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *data, size_t len)
{
    char *p = data;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void hist_add(struct hist *to, const struct hist *from)
{
    for (int b = 0; b < HIST_MAGS * HIST_SUB; b++)
        to->counts[b] += from->counts[b];
    to->n += from->n;
    to->sum += from->sum;
    if (from->n && from->max > to->max)
        to->max = from->max;
    if (from->n && from->min < to->min)
        to->min = from->min;
}

static void stats_add(struct viewers_stats *to, const struct viewers_stats *from)
{
    to->n += from->n;
    to->connected += from->connected;
    to->subscribed += from->subscribed;
    to->messages += from->messages;
    to->snapshots += from->snapshots;
    to->updates += from->updates;
    to->errors += from->errors;
    to->bytes += from->bytes;
    to->disconnects += from->disconnects;
    to->reconnects += from->reconnects;
    to->edge_messages += from->edge_messages;
    to->edge_bytes += from->edge_bytes;
    to->delay_samples += from->delay_samples;
    to->undelivered += from->undelivered;
    hist_add(&to->delay_us, &from->delay_us);
    if (from->connect_us > to->connect_us) /* they connect at the same time */
        to->connect_us = from->connect_us;
}

/* Reads one report from every child and merges them into p->st; the sum of
 * their diffs, or -1 when one failed. */
static int64_t gather(struct vprocs *p)
{
    memset(&p->st, 0, sizeof p->st);
    hist_init(&p->st.delay_us);
    int64_t diffs = 0;
    bool failed = false;
    for (int i = 0; i < p->n; i++) {
        struct vp_child *c = &p->child[i];
        struct vp_report r;
        if (c->failed || read_all(c->from_fd, &r, sizeof r) != 0 || !r.ok) {
            if (!c->failed)
                fprintf(stderr, "suara-load: viewer process %d failed\n", (int)c->pid);
            c->failed = failed = true;
            p->st.n += c->n_viewers;
            p->st.disconnects += (uint64_t)c->n_viewers;
            diffs += c->n_viewers;
            continue;
        }
        stats_add(&p->st, &r.st);
        diffs += r.diffs > 0 ? r.diffs : 0;
    }
    return failed ? -1 - diffs : diffs;
}

/* ---- the child ---------------------------------------------------------- */

struct vp_in {
    struct viewers *v;
    struct model *m;
    int out_fd;
    char part[sizeof(struct vp_ack)]; /* a record split between two reads */
    size_t part_len;
    char *model; /* where the expected totals go, once announced */
    size_t model_len, model_got;
    uv_pipe_t pipe;
    bool done;
};

static void report(struct vp_in *in, int64_t diffs)
{
    struct vp_report r = {.diffs = diffs, .ok = 1, .st = *viewers_stats(in->v)};
    if (write_all(in->out_fd, &r, sizeof r) != 0)
        _exit(1); /* the parent is gone */
}

static void on_settled(void *ctx)
{
    struct vp_in *in = ctx;
    report(in, -1);
    report(in, viewers_verify(in->v));
    in->done = true;
    uv_read_stop((uv_stream_t *)&in->pipe);
}

/* The expected totals arrive as the nodes array, then the votes array. */
static void take_model(struct vp_in *in, const char *data, size_t len)
{
    size_t nodes = (size_t)in->m->n_nodes * sizeof *in->m->nodes;
    for (size_t k = 0; k < len && in->model_got < in->model_len; k++, in->model_got++) {
        size_t at = in->model_got;
        if (at < nodes)
            ((char *)in->m->nodes)[at] = data[k];
        else
            ((char *)in->m->votes)[at - nodes] = data[k];
    }
    if (in->model_got == in->model_len)
        viewers_settle(in->v, on_settled, in);
}

static void take_record(struct vp_in *in, const struct vp_ack *a)
{
    if (a->contest >= 0) {
        viewers_on_ack(in->v, a->contest, a->tps, a->seq, a->at_us);
        return;
    }
    in->model = (char *)in->m->nodes;
    in->model_len = (size_t)in->m->n_nodes * sizeof *in->m->nodes +
                    (size_t)in->m->n_vote_counters * sizeof *in->m->votes;
    in->model_got = 0;
    if (in->model_len == 0)
        viewers_settle(in->v, on_settled, in);
}

static void child_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char space[65536];
    (void)h;
    (void)hint;
    *buf = uv_buf_init(space, sizeof space);
}

static void child_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct vp_in *in = s->data;
    if (n < 0) {
        if (!in->done)
            _exit(1); /* the parent went away before the end */
        return;
    }
    const char *p = buf->base, *end = buf->base + n;
    while (p < end) {
        if (in->model) {
            size_t take = (size_t)(end - p);
            if (take > in->model_len - in->model_got)
                take = in->model_len - in->model_got;
            take_model(in, p, take);
            p += take;
            continue;
        }
        size_t want = sizeof(struct vp_ack) - in->part_len;
        size_t take = (size_t)(end - p) < want ? (size_t)(end - p) : want;
        memcpy(in->part + in->part_len, p, take);
        in->part_len += take;
        p += take;
        if (in->part_len == sizeof(struct vp_ack)) {
            struct vp_ack a;
            memcpy(&a, in->part, sizeof a);
            in->part_len = 0;
            take_record(in, &a);
        }
    }
}

static void set_ready(void *ctx)
{
    *(bool *)ctx = true;
}

static void child_main(struct model *m, const struct lt_options *o, const struct sockaddr_in *addr,
                       const char *host, int64_t (*pick)(void *, uint64_t), void *pick_ctx,
                       int in_fd, int out_fd)
{
    /* Below the server and the witnesses' process, as if on machines of
     * their own: their CPU then delays neither. */
    errno = 0;
    if (o->viewer_nice > 0 && nice(o->viewer_nice) == -1 && errno)
        perror("suara-load: nice");
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct vp_in in = {.m = m, .out_fd = out_fd};
    in.v = viewers_new(&loop, m, o, addr, host, pick, pick_ctx);
    if (!in.v) {
        struct vp_report r = {.ok = 0};
        write_all(out_fd, &r, sizeof r);
        _exit(1);
    }
    bool ready = false;
    viewers_start(in.v, set_ready, &ready);
    while (!ready)
        uv_run(&loop, UV_RUN_ONCE);
    report(&in, -1);
    uv_pipe_init(&loop, &in.pipe, 0);
    in.pipe.data = &in;
    uv_pipe_open(&in.pipe, in_fd);
    uv_read_start((uv_stream_t *)&in.pipe, child_alloc, child_read);
    while (!in.done)
        uv_run(&loop, UV_RUN_ONCE);
    _exit(0); /* the sockets close with the process; the parent counts on nothing else */
}

/* ---- the parent --------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
    struct vp_write *w = (struct vp_write *)req;
    w->p->writing--;
    free(w->data);
    free(w);
    (void)status; /* a child that died is found by its report */
}

static void flush_one(struct vprocs *p, struct vp_child *c)
{
    if (!c->len || c->failed)
        return;
    struct vp_write *w = xmalloc(sizeof *w);
    w->p = p;
    w->data = c->queue;
    uv_buf_t buf = uv_buf_init(c->queue, (unsigned)c->len);
    c->queue = NULL;
    c->len = c->cap = 0;
    p->writing++;
    if (uv_write(&w->req, (uv_stream_t *)&c->to, &buf, 1, on_written) != 0) {
        p->writing--;
        c->failed = true;
        free(w->data);
        free(w);
    }
}

/* Once per loop iteration: what the acknowledgements of this iteration
 * queued goes down each pipe in one write. */
static void on_flush(uv_check_t *h)
{
    struct vprocs *p = h->data;
    for (int i = 0; i < p->n; i++)
        flush_one(p, &p->child[i]);
}

static void queue(struct vp_child *c, const void *data, size_t len)
{
    if (c->len + len > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        while (cap < c->len + len)
            cap *= 2;
        c->queue = xrealloc(c->queue, cap);
        c->cap = cap;
    }
    memcpy(c->queue + c->len, data, len);
    c->len += len;
}

void vprocs_on_ack(void *ctx, int contest, int32_t tps, int64_t seq, uint64_t now_us)
{
    struct vprocs *p = ctx;
    struct vp_ack a = {contest, tps, seq, now_us};
    for (int i = 0; i < p->n; i++)
        queue(&p->child[i], &a, sizeof a);
}

static int start_child(struct vprocs *p, struct vp_child *c, const struct lt_options *share,
                       const struct sockaddr_in *addr, const char *host,
                       int64_t (*pick)(void *, uint64_t), void *pick_ctx)
{
    int down[2], up[2];
    if (pipe(down) != 0)
        return -1;
    if (pipe(up) != 0) {
        close(down[0]);
        close(down[1]);
        return -1;
    }
    fflush(NULL); /* nothing buffered is printed twice */
    c->pid = fork();
    if (c->pid == 0) {
        close(down[1]);
        close(up[0]);
        for (int i = 0; i < p->n; i++) { /* the earlier children's pipes: their EOF is theirs */
            uv_os_fd_t fd;
            close(p->child[i].from_fd);
            if (uv_fileno((uv_handle_t *)&p->child[i].to, &fd) == 0)
                close(fd);
        }
        child_main(p->m, share, addr, host, pick, pick_ctx, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    if (c->pid < 0) {
        close(down[1]);
        close(up[0]);
        return -1;
    }
    c->from_fd = up[0];
    uv_pipe_init(p->loop, &c->to, 0);
    c->to.data = p;
    uv_pipe_open(&c->to, down[1]);
    c->n_viewers = share->viewers;
    return 0;
}

struct vprocs *vprocs_new(uv_loop_t *loop, struct model *m, const struct lt_options *o,
                          const struct sockaddr_in *addr, const char *host,
                          int64_t (*pick)(void *ctx, uint64_t i), void *pick_ctx)
{
    if (o->viewer_procs < 1 || o->viewer_procs > MAX_PROCS || o->viewer_procs > o->viewers) {
        fprintf(stderr, "suara-load: --viewer-procs takes 1 to %d, at most --viewers\n", MAX_PROCS);
        return NULL;
    }
    signal(SIGPIPE, SIG_IGN); /* a child that died is an error return, not our end */
    struct vprocs *p = xcalloc(1, sizeof *p);
    p->loop = loop;
    p->m = m;
    int first = 0;
    for (int i = 0; i < o->viewer_procs; i++) {
        struct lt_options share = *o;
        share.viewer_first = first;
        share.viewers = o->viewers / o->viewer_procs + (i < o->viewers % o->viewer_procs);
        first += share.viewers;
        if (start_child(p, &p->child[p->n], &share, addr, host, pick, pick_ctx) != 0) {
            fprintf(stderr, "suara-load: could not start a viewer process\n");
            break;
        }
        p->n++;
    }
    uv_check_init(loop, &p->flush);
    p->flush.data = p;
    uv_check_start(&p->flush, on_flush);
    if (p->n < o->viewer_procs || gather(p) < 0) {
        vprocs_free(p);
        return NULL;
    }
    return p;
}

int vprocs_settle(struct vprocs *p)
{
    struct vp_ack end = {-1, 0, 0, 0};
    size_t nodes = (size_t)p->m->n_nodes * sizeof *p->m->nodes;
    size_t votes = (size_t)p->m->n_vote_counters * sizeof *p->m->votes;
    for (int i = 0; i < p->n; i++) {
        struct vp_child *c = &p->child[i];
        queue(c, &end, sizeof end);
        queue(c, p->m->nodes, nodes);
        queue(c, p->m->votes, votes);
        flush_one(p, c);
    }
    while (p->writing)
        uv_run(p->loop, UV_RUN_ONCE);
    return gather(p) < 0 ? -1 : 0;
}

int64_t vprocs_verify(struct vprocs *p)
{
    int64_t diffs = gather(p);
    return diffs < 0 ? -1 - diffs : diffs;
}

const struct viewers_stats *vprocs_stats(struct vprocs *p)
{
    return &p->st;
}

double vprocs_cpu(struct vprocs *p)
{
    double sum = 0;
    for (int i = 0; i < p->n; i++) {
        struct proc_sample s;
        proc_sample(p->child[i].pid, &s);
        sum += s.ok ? s.cpu_seconds : 0;
    }
    return sum;
}

static void on_closed(uv_handle_t *h)
{
    struct vprocs *p = h->data;
    if (--p->closing == 0)
        free(p);
}

void vprocs_free(struct vprocs *p)
{
    if (!p)
        return;
    p->closing = p->n + 1;
    for (int i = 0; i < p->n; i++) {
        struct vp_child *c = &p->child[i];
        close(c->from_fd); /* a child still writing a report gets EPIPE and leaves */
        uv_close((uv_handle_t *)&c->to, on_closed);
        free(c->queue);
        int status;
        while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    uv_close((uv_handle_t *)&p->flush, on_closed);
}
