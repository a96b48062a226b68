/* `suara-load copy`: the storage ceiling. Generates the rows the server
 * would store for N forms (the same columns, one counted form per TPS and
 * contest, then further revisions) and COPYs them into the forms table in
 * batches, each its own transaction, timing it. Also the quickest way to fill
 * a database with millions of stored forms for the restart measurement. */
#ifndef SUARA_LOAD_COPYBENCH_H
#define SUARA_LOAD_COPYBENCH_H

int copybench_main(int argc, char **argv);

#endif
