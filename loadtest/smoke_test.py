"""ctest loadtest.smoke: a short election night with suara-load against a real
server, for correctness only (no timing is asserted).

A fresh database is migrated and seeded with Kalimantan Tengah; `suara serve`
runs on a free port; suara-load sends a few hundred forms with every kind of
story (held, corrected, confirmed, disputed), exact duplicates and lost
answers, while a few WebSocket viewers watch; then it checks the HTTP tallies,
every viewer's last state and a SQL recount against its own expected totals;
then again with the viewers in processes of their own (--viewer-procs). The server must then stop on SIGTERM with exit status 0.

Environment: as tests/integration/harness.py (SUARA_TEST_PG, SUARA_BIN,
SUARA_SOURCE_DIR), plus SUARA_LOAD_BIN, the suara-load binary.
"""

import csv
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("SUARA_SOURCE_DIR") or os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))

import harness  # noqa: E402

LOAD_BIN = os.environ.get("SUARA_LOAD_BIN") or os.path.join(
    os.path.dirname(harness.SUARA_BIN), "suara-load")


class NationTest(harness.SuaraTestCase):
    """suara-load nation writes valid JSON and CSV whatever the names in its
    source, and closes what it opened when it cannot write everything."""

    NAME = 'Kab "Tanda" \\ Garis\tMiring'

    def source(self):
        folder = harness.tmpdir()
        path = os.path.join(folder, "indonesia_kabupaten.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["code", "province_code", "name", "is_kota", "kecamatan_count",
                        "desa_count", "of_which_kelurahan", "population_total"])
            w.writerow(["91.01", "91", self.NAME, "0", "2", "3", "1", "5000"])
        return path

    def nation(self, out):
        return subprocess.run([LOAD_BIN, "nation", "--source", self.source(), "--out", out],
                              capture_output=True, text=True, timeout=60)

    def test_names_are_escaped(self):
        out = os.path.join(harness.tmpdir(), "nation-escaped")
        proc = self.nation(out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(out, "nation_contests.json"), encoding="utf-8") as f:
            contests = json.load(f)["contests"]
        titles = {c["id"]: c["title"] for c in contests}
        self.assertEqual(titles["bup-91.01"], f"Pemilihan {self.NAME} (sintetis)")
        with open(os.path.join(out, "nation_kabupaten.csv"), encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([r["name"] for r in rows], [self.NAME])

    def test_a_file_it_cannot_write(self):
        out = os.path.join(harness.tmpdir(), "nation-blocked")
        os.makedirs(os.path.join(out, "nation_tps.csv"))  # a folder where a file must go
        proc = self.nation(out)
        # 1, not a sanitizer's leak report: the files opened before are closed
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("cannot write", proc.stderr)
        self.assertNotIn("LeakSanitizer", proc.stderr)


class LoadRun:
    """suara-load run against a server of this test class's database."""

    def run_load(self, server, *extra, db=None):
        out = os.path.join(harness.tmpdir(), f"load-{server.port}.json")
        cmd = [LOAD_BIN, "run", "--db", (db or self.db).conninfo, "--port", str(server.port),
               "--server-pid", str(server.proc.pid), "--out", out, *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        report = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 0, f"suara-load failed:\n{report}\n{server.log_tail()}")
        with open(out, encoding="utf-8") as f:
            return json.load(f), report


class LoadSmokeTest(LoadRun, harness.SuaraTestCase):
    def test_election_night_smoke(self):
        server = self.start_server(ready=True)
        result, report = self.run_load(
            server, "--forms", "400", "--connections", "16", "--viewers", "8",
            "--held", "0.08", "--fix", "0.5", "--corrections", "0.06",
            "--confirmations", "0.12", "--disputes", "0.06", "--duplicates", "0.1",
            "--lost", "0.04", "--seed", "7", "--settle-ms", "20000")
        self.assertTrue(result["passed"], report)
        forms = result["forms"]
        self.assertEqual(forms["stories"], 400, report)
        self.assertEqual(forms["stories_failed"], 0, report)
        for kind in ("plain", "held", "held_fixed", "corrected", "confirmed", "disputed"):
            self.assertGreater(forms[kind], 0, f"no {kind} story in the plan\n{report}")
        self.assertGreater(forms["duplicates_ok"], 0, report)
        self.assertGreater(forms["retries"], 0, report)
        self.assertEqual(forms["mismatches"], 0, report)
        verify = result["verify"]
        self.assertGreater(verify["http_nodes"], 0, report)
        self.assertGreater(verify["sql_nodes"], 0, report)
        self.assertEqual(verify["http_differences"] + verify["sql_differences"]
                         + verify["viewer_differences"], 0, report)
        self.assertEqual(result["viewers"]["subscribed"], 8, report)
        # The stored rows agree with what was acknowledged, seen from outside too.
        stored = int(self.value("SELECT count(*) FROM forms"))
        self.assertEqual(stored, forms["acknowledged"], report)
        server.stop()


class ViewerProcsTest(LoadRun, harness.SuaraTestCase):
    seed = False  # its night runs on a database of its own
    def test_viewers_in_their_own_processes(self):
        """--viewer-procs: the same night with the viewers in two child
        processes; their states, counters and delays come back to the report.
        On a database of its own: the module's holds the other test's forms."""
        db = harness.Database("procs", migrate=True, seed=True)
        server = self.start_server(ready=True, db=db)
        result, report = self.run_load(
            server, "--forms", "300", "--connections", "8", "--viewers", "9",
            "--viewer-procs", "2", "--seed", "11", "--settle-ms", "20000", db=db)
        self.assertTrue(result["passed"], report)
        viewers = result["viewers"]
        self.assertEqual(viewers["count"], 9, report)
        self.assertEqual(viewers["subscribed"], 9, report)
        self.assertEqual(viewers["undelivered"], 0, report)
        self.assertGreater(viewers["update_delay"]["count"], 0, report)
        self.assertEqual(result["verify"]["viewer_differences"], 0, report)
        self.assertIn("viewers      CPU", report)
        server.stop()


if __name__ == "__main__":
    harness.main()
