/* `suara-load nation`: writes a synthetic Indonesia-wide seed folder (the
 * layout `suara seed` reads) from the national kab/kota table: every
 * province, kab/kota, kecamatan and desa with their real counts and codes
 * made up within them, TPS of up to 300 voters, one gub- contest per
 * province and one bup-/wal- contest per kab/kota. Generated data only: it is
 * written to a temporary folder and never committed. */
#ifndef SUARA_LOAD_NATION_H
#define SUARA_LOAD_NATION_H

int nation_main(int argc, char **argv);

#endif
