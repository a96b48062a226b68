/* `suara-load restart`: starts `suara serve` on an existing database and
 * measures the time from the start of the process to GET /readyz answering
 * 200 (everything loaded), its peak RSS then, and that SIGTERM stops it with
 * exit status 0. */
#ifndef SUARA_LOAD_RESTART_H
#define SUARA_LOAD_RESTART_H

int restart_main(int argc, char **argv);

#endif
