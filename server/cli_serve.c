/* `suara serve`: parses the configuration and runs the app. */
#include "app.h"
#include "cli.h"
#include "core/config.h"
#include "core/log.h"

#include <stdio.h>
#include <unistd.h>

extern char **environ;

int cli_serve(int argc, char **argv)
{
    static struct config cfg;
    static char usage[CONFIG_USAGE_MAX];
    char err[256];
    int rc = config_parse(&cfg, argc, argv, environ, err, sizeof err);
    if (rc == 1 || rc == 2)
        config_usage(usage, sizeof usage);
    if (rc == 1) {
        fputs(usage, stdout);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "suara serve: %s\n\n%s", err, usage);
        return 2;
    }
    enum log_level level;
    if (log_parse_level(cfg.log_level, &level) != 0) {
        fprintf(stderr, "suara serve: unknown log level '%s'\n", cfg.log_level);
        return 2;
    }
    log_set_level(level);
    rc = app_run(&cfg);
    if (rc != APP_RESTART)
        return rc;
    /* The election switched mode under the server: the same command again,
     * as a fresh process that loads the new state (same pid, so a supervisor
     * sees no exit). argv[-1] is the program itself (see main.c). */
    fflush(NULL);
    execv("/proc/self/exe", argv - 1);
    perror("suara serve: cannot restart");
    return 1;
}
