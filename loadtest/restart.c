/* See restart.h. Polls /readyz every 10 ms with a plain blocking socket:
 * nothing else runs here, and one request costs far less than the poll
 * period. */
#include "restart.h"
#include "core/mem.h"
#include "sysstat.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_US 10000
#define WAIT_S 600

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The status of GET path, or -1 when nothing answers. */
static int http_status(int port, const char *path, char *body, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int status = -1;
    char req[256], buf[4096];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, req, (size_t)n) == n) {
        size_t got = 0;
        while (got < sizeof buf - 1) {
            ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        buf[got] = '\0';
        if (got > 12 && strncmp(buf, "HTTP/1.", 7) == 0)
            status = atoi(buf + 9);
        const char *b = strstr(buf, "\r\n\r\n");
        if (body && size)
            snprintf(body, size, "%s", b ? b + 4 : "");
    }
    close(fd);
    return status;
}

int restart_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"suara", required_argument, NULL, 's'}, {"db", required_argument, NULL, 'd'},
        {"port", required_argument, NULL, 'p'},  {"log", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *suara = NULL, *db = getenv("SUARA_DB"), *log = "/dev/null";
    int port = 0;
    optind = 1;
    for (int c = getopt_long(argc, argv, "+", opts, NULL); c != -1;
         c = getopt_long(argc, argv, "+", opts, NULL)) {
        switch (c) {
        case 's':
            suara = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 'l':
            log = optarg;
            break;
        case 'h':
            printf("Usage: suara-load restart --suara BIN --db CONNINFO --port N [--log FILE] "
                   "[-- more serve options]\n");
            return 0;
        default:
            return 2;
        }
    }
    if (!suara || !db || port < 1 || port > 65535) {
        fprintf(stderr, "Usage: suara-load restart --suara BIN --db CONNINFO --port N "
                        "[-- more serve options]\n");
        return 2;
    }
    if (http_status(port, "/healthz", NULL, 0) >= 0) {
        fprintf(stderr, "suara-load restart: something already answers on port %d\n", port);
        return 1;
    }
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    int extra = argc - optind;
    char **args = xcalloc((size_t)extra + 8, sizeof *args);
    int k = 0;
    args[k++] = (char *)suara;
    args[k++] = "serve";
    args[k++] = "--db";
    args[k++] = (char *)db;
    args[k++] = "--listen";
    args[k++] = listen;
    for (int i = optind; i < argc; i++)
        args[k++] = argv[i];
    double start = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        FILE *out = fopen(log, "a");
        if (out) {
            dup2(fileno(out), 1);
            dup2(fileno(out), 2);
        }
        execv(suara, args);
        perror("suara-load restart: exec");
        _exit(127);
    }
    free(args);
    if (pid < 0) {
        perror("suara-load restart: fork");
        return 1;
    }
    double healthy = 0, ready = 0;
    char body[1024] = "";
    int wstatus = 0;
    while (now_s() - start < WAIT_S) {
        if (waitpid(pid, &wstatus, WNOHANG) == pid) {
            fprintf(stderr, "suara-load restart: the server exited early (status %d)\n",
                    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
            return 1;
        }
        int s = http_status(port, "/readyz", body, sizeof body);
        if (s >= 0 && !healthy)
            healthy = now_s() - start;
        if (s == 200) {
            ready = now_s() - start;
            break;
        }
        usleep(POLL_US);
    }
    struct proc_sample ps;
    proc_sample(pid, &ps);
    kill(pid, SIGTERM);
    waitpid(pid, &wstatus, 0);
    int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    if (!ready) {
        fprintf(stderr, "suara-load restart: not ready within %d s\n", WAIT_S);
        return 1;
    }
    printf("ready in %.3f s (answering HTTP after %.3f s); peak RSS %.1f MiB; CPU %.2f s; "
           "stopped with exit status %d; readyz: %s\n",
           ready, healthy, (double)ps.hwm_kb / 1024, ps.cpu_seconds, code, body);
    return code == 0 ? 0 : 1;
}
