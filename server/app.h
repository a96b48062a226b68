/* The server process: owns the loop and every long-lived part (registry,
 * tallies, ledger, tokens, database connection, writer, web server, live
 * feed), wires them together, and runs the start-up and shutdown order. */
#ifndef SUARA_APP_H
#define SUARA_APP_H

#include "core/config.h"

/* app_run's answer when the server must run again from scratch on the same
 * configuration (the election switched from test to live under it). */
#define APP_RESTART (-1)

/* Runs until SIGINT/SIGTERM; returns the process exit code, or APP_RESTART. */
int app_run(const struct config *cfg);

#endif
