"""`suara import kpu`: KPU's published results as a second source beside the
witnesses. A Sirekap-shaped folder (per-TPS JSON with candidate ids and a
candidate list) and the shipped kabupaten recap CSV are imported; tally nodes
carry KPU's figures, kpu_differs and the kpu_differs worklist follow both
sources, bad files name FILE:LINE and import nothing, and a restart keeps it."""

import json
import os
import shutil

import harness
from harness import build_form

GUB = "gub-62"
RECAP = os.path.join(harness.SEED_DIR, "kalteng_pilgub2024_hasil_partial.csv")
IDS = {1: "100441", 2: "100442", 3: "100443", 4: "100444"}  # Sirekap's candidate ids


def digits(tps):
    return tps.replace(".", "")


class KpuImportTest(harness.SuaraTestCase):
    def folder(self, name):
        path = os.path.join(harness.tmpdir(), name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        paslon = os.path.join(path, "pkwkp_paslon.json")
        with open(paslon, "w") as f:
            json.dump({IDS[n]: {"nomor_urut": n, "nama": f"Paslon {n}", "warna": "#000"}
                       for n in IDS}, f, indent=1)
        return path, paslon

    def sirekap(self, folder, tps, form=None, votes=None):
        """A Sirekap TPS file as KPU publishes it; chart null without votes."""
        d = digits(tps)
        sub = os.path.join(folder, "pilkada", "hhcw", "pkwkp", d[:2], d[:4], d[:6], d[:10])
        os.makedirs(sub, exist_ok=True)
        path = os.path.join(sub, d + ".json")
        votes = votes or (form and {int(k): v for k, v in form["votes"].items()})
        body = {"mode": "hhcw", "chart": None, "images": [], "administrasi": None, "psu": None,
                "ts": "2024-11-27 19:04:11", "status_suara": bool(votes), "status_adm": bool(votes)}
        if votes:
            valid = sum(votes.values())
            invalid = form["invalid"] if form else 5
            body["chart"] = {**{IDS[n]: v for n, v in votes.items()}, "null": None}
            body["administrasi"] = {"suara_sah": valid, "suara_tidak_sah": invalid,
                                    "suara_total": valid + invalid, "pemilih_dpt_j": 300,
                                    "pengguna_dpt_j": valid + invalid - 1, "pengguna_total_j":
                                    valid + invalid}
        with open(path, "w") as f:
            json.dump(body, f, indent=1)
        return path

    def import_kpu(self, *files, status=0):
        proc = self.suara("import", "kpu", "--db", self.db.conninfo, *files)
        self.assertEqual(proc.returncode, status, proc.stdout + proc.stderr)
        return proc

    def node(self, server, region, contest=GUB):
        status, _, body = server.get(f"/api/v1/tally/{contest}/{region}")
        self.assertEqual(status, 200, body)
        return body

    def submit(self, server, token, form):
        status, _, body = server.post("/api/v1/forms", form, token=token)
        self.assertEqual(status, 201, body)

    def test_sirekap_folder_against_the_witnesses(self):
        server = self.start_server(ready=True)
        token = self.make_token("witness", "62", server=server)
        (a, da), (b, db), (c, dc), (d, dd), (e, _) = self.fresh_tps(5, "62.04", same_desa=True)
        desa = a.rsplit(".", 1)[0]
        fa, fb, fc, fd = (build_form(f"kpu-{t}", t, dpt) for t, dpt in
                          ((a, da), (b, db), (c, dc), (d, dd)))
        self.submit(server, token, fa)  # before the import: agrees with KPU
        self.submit(server, token, fb)  # before the import: KPU read a 9 as 0
        _, headers, _ = server.get(f"/api/v1/tally/{GUB}/{desa}")
        etag = headers["ETag"]
        folder, paslon = self.folder("sirekap")
        wrong = {int(k): v for k, v in fb["votes"].items()}
        wrong[2] += 90
        files = [paslon, self.sirekap(folder, a, fa), self.sirekap(folder, b, fb, wrong),
                 self.sirekap(folder, c, fc), self.sirekap(folder, d), self.sirekap(folder, e)]
        proc = self.import_kpu(*files)
        self.assertIn("imported 3 rows (3 TPS from Sirekap, 0 recap regions) from 6 files; "
                      "2 TPS files had no results yet", proc.stdout)
        harness.wait_until(lambda: self.node(server, desa).get("kpu", {}).get("tps") == 3, timeout=30,
                           message="the server to reload KPU's figures")
        # new KPU figures move no seq, but a cached node must not stay stale
        status, headers, _ = server.get(f"/api/v1/tally/{GUB}/{desa}",
                                        headers={"If-None-Match": etag})
        self.assertEqual(status, 200)
        self.assertNotEqual(headers["ETag"], etag)
        self.submit(server, token, fc)  # after the import: agrees
        node = self.node(server, desa)
        self.assertEqual(node["tps"]["kpu_differs"], 1)
        want_votes = {k: fa["votes"][k] + fb["votes"][k] + fc["votes"][k] for k in fa["votes"]}
        want_votes["2"] += 90
        self.assertEqual(node["kpu"], {"tps": 3, "valid": sum(want_votes.values()),
                                       "invalid": fa["invalid"] + fb["invalid"] + fc["invalid"],
                                       "votes": want_votes})
        self.assertNotIn("kpu_recap", node)
        self.assertNotIn("kpu", self.node(server, e))  # published nothing yet: no figures
        tps_b = self.node(server, b)
        self.assertEqual(tps_b["kpu"]["votes"]["2"], fb["votes"]["2"] + 90)
        status, _, wl = server.get(f"/api/v1/worklist/{GUB}/{desa}?status=kpu_differs")
        self.assertEqual(status, 200, wl)
        self.assertEqual(([i["tps"] for i in wl["items"]], wl["total"]), ([b], 1))
        # the witness corrects to KPU's numbers: no longer differs
        fixed = build_form(f"kpu-fix-{b}", b, db, votes=[wrong[n] for n in sorted(wrong)],
                           invalid=fb["invalid"])
        self.submit(server, token, fixed)
        self.assertEqual(self.node(server, desa)["tps"]["kpu_differs"], 0)
        self.assertEqual(self.value(f"SELECT count(*) FROM kpu_results WHERE region LIKE "
                                    f"'{desa}.%' AND source = 'sirekap'"), "3")
        self.assertEqual(self.value(f"SELECT to_char(reported_at AT TIME ZONE 'UTC', "
                                    f"'YYYY-MM-DD HH24:MI') FROM kpu_results WHERE region = "
                                    f"'{a}'"), "2024-11-27 12:04")
        # a restart loads the figures again
        server.stop()
        server.start(ready=True)
        self.assertEqual(self.node(server, desa)["kpu"]["tps"], 3)
        self.assertEqual(self.node(server, desa)["tps"]["kpu_differs"], 0)

    def test_shipped_recap_csv(self):
        server = self.start_server(ready=True)
        proc = self.import_kpu(RECAP)
        self.assertIn("imported 7 rows (0 TPS from Sirekap, 7 recap regions)", proc.stdout)
        node = harness.wait_until(
            lambda: (lambda n: n if n.get("kpu_recap") else None)(self.node(server, "62.01")),
            timeout=30, message="the recap figures")
        self.assertEqual(node["kpu_recap"], {"votes": {"1": 9824, "2": 48235, "3": 75336,
                                                       "4": 7889}})
        regions = [r[0] for r in self.rows("SELECT region FROM kpu_results WHERE source = "
                                           "'recap' ORDER BY region")]
        self.assertEqual(len(regions), 7)
        province = self.node(server, "62")
        with_recap = [c["region"] for c in province["children"] if "kpu_recap" in c]
        self.assertEqual(with_recap, regions)
        # importing it again replaces, never duplicates
        self.import_kpu(RECAP)
        self.assertEqual(self.value("SELECT count(*) FROM kpu_results WHERE source = 'recap'"),
                         "7")

    def test_bad_files_name_file_and_line_and_import_nothing(self):
        before = self.value("SELECT count(*) FROM kpu_results")
        folder, paslon = self.folder("bad")
        (t1, d1), (t2, d2) = self.fresh_tps(2, "62.07")
        good = self.sirekap(folder, t1, build_form("x", t1, d1))
        broken = self.sirekap(folder, t2, build_form("y", t2, d2))
        with open(broken) as f:
            lines = f.read().splitlines()
        lines[2] = lines[2] + " oops"
        with open(broken, "w") as f:
            f.write("\n".join(lines))
        proc = self.import_kpu(paslon, good, broken, status=1)
        self.assertIn(f"{broken}:3: not valid JSON", proc.stderr)

        unknown = os.path.join(folder, "6299999999999.json")
        shutil.copy(good, unknown)
        proc = self.import_kpu(paslon, good, unknown, status=1)
        self.assertIn(f"{unknown}:1: no TPS 62.99.99.9999.999 in the database", proc.stderr)

        no_list = self.import_kpu(good, status=1)  # Sirekap ids without the candidate list
        self.assertIn(f"{good}:", no_list.stderr)
        self.assertIn("is no candidate of gub-62", no_list.stderr)

        csv = os.path.join(folder, "recap.csv")
        with open(RECAP) as f:
            rows = f.read().splitlines()
        rows[3] = rows[3].replace("62.01,Kabupaten Kotawaringin Barat,3,", "62.01,Kabupaten "
                                  "Kotawaringin Barat,7,")
        with open(csv, "w") as f:
            f.write("\n".join(rows) + "\n")
        proc = self.import_kpu(csv, status=1)
        self.assertIn(f"{csv}:4: nomor_urut '7' is no candidate of gub-62", proc.stderr)

        twice = os.path.join(folder, "twice.csv")
        shutil.copy(RECAP, twice)
        proc = self.import_kpu(RECAP, twice, status=1)
        self.assertIn(f"{twice}:2: gub-62 62.01 again (first in {RECAP}:2)", proc.stderr)
        self.assertEqual(self.value("SELECT count(*) FROM kpu_results"), before)


if __name__ == "__main__":
    harness.main()
