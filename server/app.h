/* The server process: owns the loop and every long-lived part (registry,
 * tallies, ledger, tokens, database connection, writer, web server, live
 * feed), wires them together, and runs the start-up and shutdown order. */
#ifndef SUARA_APP_H
#define SUARA_APP_H

#include "core/config.h"

/* Runs until SIGINT/SIGTERM; returns the process exit code. */
int app_run(const struct config *cfg);

#endif
