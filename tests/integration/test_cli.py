"""The admin subcommands against a real PostgreSQL: migrate, seed, token."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import harness  # noqa: E402

SEED_COUNTS = {"province": 1, "kabupaten": 14, "kecamatan": 136, "desa": 1571}
TPS_COUNT = 4446
CONTEST_COUNT = 15


def seed_candidates():
    with open(os.path.join(harness.SEED_DIR, "kalteng_contests.json"), encoding="utf-8") as f:
        return sum(len(c["candidates"]) for c in json.load(f)["contests"])


def schema_versions():
    return sorted(int(name.split("_", 1)[0]) for name in os.listdir(harness.SCHEMA_DIR)
                  if re.fullmatch(r"[0-9]+_[A-Za-z0-9_-]+\.sql", name))


class HelpTest(harness.SuaraTestCase):
    def test_help(self):
        for args in (["--help"], ["migrate", "--help"], ["seed", "--help"], ["token", "--help"],
                     ["token", "create", "--help"], ["token", "list", "--help"]):
            proc = self.suara(*args)
            self.assertEqual(proc.returncode, 0, (args, proc.stderr))
            self.assertIn("Usage: suara", proc.stdout, args)

    def test_serve_options_match_the_docs(self):
        """docs/operations.md lists exactly the options `suara serve --help`
        prints (made from config.c's table), with the same variable and
        default: a new option cannot be left out of the docs, nor a removed
        one stay."""
        proc = self.suara("serve", "--help")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        helped = {}
        for m in re.finditer(r"^  (--[a-z-]+)(?: \S+)?  \((SUARA_[A-Z_]+)\)\n((?:      .*\n)+)",
                             proc.stdout, re.M):
            words = " ".join(m.group(3).split())
            default = re.search(r"\[([^\]]*)\]$", words)
            helped[m.group(1)] = (m.group(2), default.group(1) if default else None)
        self.assertIn("--sth-ms", helped, proc.stdout)
        with open(os.path.join(harness.SOURCE_DIR, "docs", "operations.md"), encoding="utf-8") as f:
            text = f.read()
        table = text[text.index("| flag | env | default | what |"):]
        table = table[:table.index("\n\n")]
        documented = {}
        for row in table.splitlines()[2:]:
            flags, envs, default = (cell.strip() for cell in row.strip("|").split("|")[:3])
            default = default.replace("`", "")
            for flag, env in zip(re.findall(r"--[a-z-]+", flags), re.findall(r"SUARA_[A-Z_]+", envs)):
                documented[flag] = (env, None if default in ("—", "off") else default)
        self.assertEqual(documented, helped)

    def test_usage_errors(self):
        for args in (["migrate", "--bogus"], ["seed"], ["token"], ["token", "frob"],
                     ["nosuchcommand"]):
            proc = self.suara(*args, env={"SUARA_DB": "dbname=unused"})
            self.assertEqual(proc.returncode, 2, (args, proc.stdout, proc.stderr))
            self.assertTrue(proc.stderr.strip(), args)

    def test_no_database(self):
        proc = self.suara("migrate", env={"SUARA_DB": None})
        self.assertEqual(proc.returncode, 2)
        self.assertIn("SUARA_DB", proc.stderr)

    def test_unreachable_database(self):
        proc = self.suara("migrate", "--db", "host=/nonexistent port=1 connect_timeout=2")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("cannot connect to the database", proc.stderr)


class MigrateTest(harness.SuaraTestCase):
    def test_twice_is_harmless(self):
        db = harness.Database("migrate")
        first = self.suara("migrate", "--db", db.conninfo)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("applied 001_", first.stdout)
        second = self.suara("migrate", env={"SUARA_DB": db.conninfo})  # SUARA_DB stands in
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("up to date", second.stdout)
        versions = [int(r[0]) for r in db.rows(
            "SELECT version FROM schema_migrations ORDER BY version")]
        self.assertEqual(versions, schema_versions())
        self.assertEqual(db.value("SELECT count(*) FROM regions"), "0")

    def test_concurrent_migrators(self):
        db = harness.Database("migrate_race")
        results = [None] * 4

        def run(i):
            results[i] = self.suara("migrate", "--db", db.conninfo)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(results))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for proc in results:
            self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sum("applied 001_" in p.stdout for p in results), 1)
        self.assertEqual(db.value("SELECT count(*) = count(DISTINCT version) "
                                  "FROM schema_migrations"), "t")

    def test_bad_migration_reports_line_and_rolls_back(self):
        folder = os.path.join(harness.tmpdir(), "schema-bad")
        os.makedirs(folder)
        for name in os.listdir(harness.SCHEMA_DIR):
            if name.endswith(".sql"):
                shutil.copy(os.path.join(harness.SCHEMA_DIR, name), folder)
        with open(os.path.join(folder, "900_broken.sql"), "w") as f:
            f.write("CREATE TABLE half_done (a int);\n\nSELEC 1;\n")
        db = harness.Database("migrate_bad")
        proc = self.suara("migrate", "--db", db.conninfo, "--schema", folder)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("900_broken.sql:3:", proc.stderr)
        self.assertEqual(db.value("SELECT to_regclass('half_done') IS NULL"), "t")
        self.assertEqual(db.value("SELECT count(*) FROM schema_migrations WHERE version = 900"),
                         "0")


class SeedTest(harness.SuaraTestCase):
    def counts(self, db):
        levels = dict(db.rows("SELECT level, count(*)::int FROM regions GROUP BY level"))
        return ({k: int(v) for k, v in levels.items()},
                int(db.value("SELECT count(*) FROM tps")),
                int(db.value("SELECT count(*) FROM contests")),
                int(db.value("SELECT count(*) FROM candidates")))

    def test_counts_and_twice_is_harmless(self):
        expected = (SEED_COUNTS, TPS_COUNT, CONTEST_COUNT, seed_candidates())
        self.assertEqual(self.counts(self.db), expected)  # seeded by the harness
        proc = self.suara("seed", "--db", self.db.conninfo, harness.SEED_DIR)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(),
                         "seeded 1 province, 14 kabupaten/kota, 136 kecamatan, 1571 desa, "
                         f"4446 TPS, 15 contests ({seed_candidates()} candidates)")
        self.assertEqual(self.counts(self.db), expected)

    def test_tree_is_consistent(self):
        self.assertEqual(self.value("SELECT parent FROM regions WHERE code = '62.03.01'"), "62.03")
        self.assertEqual(self.value("SELECT count(*) FROM tps t JOIN regions d ON d.code = t.desa "
                                    "WHERE d.level <> 'desa' OR t.code NOT LIKE t.desa || '.%'"),
                         "0")
        self.assertEqual(self.value("SELECT region FROM contests WHERE id = 'gub-62'"), "62")
        self.assertEqual(self.value("SELECT sum(dpt) FROM tps"), "1960053")

    def broken_copy(self, edit):
        folder = os.path.join(harness.tmpdir(), f"seed-{len(os.listdir(harness.tmpdir()))}")
        shutil.copytree(harness.SEED_DIR, folder)
        edit(folder)
        return folder

    @staticmethod
    def replace_line(path, number, change):
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        lines[number - 1] = change(lines[number - 1])
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))

    def test_bad_rows_are_reported_and_nothing_is_written(self):
        def edit(folder):
            # line 101: a TPS whose desa_code disagrees with its code
            self.replace_line(os.path.join(folder, "kalteng_tps.csv"), 101,
                              lambda l: re.sub(r",[0-9.]+,", ",62.99.99.9999,", l, count=1))
            # line 5: a kecamatan under another kabupaten than its code says
            self.replace_line(os.path.join(folder, "kalteng_kecamatan.csv"), 5,
                              lambda l: l.replace(",62.01,", ",62.02,"))
            # a duplicate candidate number
            path = os.path.join(folder, "kalteng_contests.json")
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            data["contests"][0]["candidates"][1]["number"] = 1
            with open(path, "w", encoding="utf-8") as f:
                json.dump(data, f)

        folder = self.broken_copy(edit)
        db = harness.Database("seed_bad", migrate=True)
        proc = self.suara("seed", "--db", db.conninfo, folder)
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn(os.path.join(folder, "kalteng_tps.csv") + ":101: ", proc.stderr)
        self.assertIn(os.path.join(folder, "kalteng_kecamatan.csv") + ":5: ", proc.stderr)
        self.assertIn("number 1 appears twice", proc.stderr)
        self.assertIn("nothing was written", proc.stderr)
        for table in ("regions", "tps", "contests", "candidates"):
            self.assertEqual(db.value(f"SELECT count(*) FROM {table}"), "0", table)
        # --check finds the same without a database
        check = self.suara("seed", "--check", folder, env={"SUARA_DB": None})
        self.assertEqual(check.returncode, 1)
        self.assertIn(":101: ", check.stderr)

    def test_bad_row_leaves_a_seeded_database_untouched(self):
        def edit(folder):
            self.replace_line(os.path.join(folder, "kalteng_kabupaten.csv"), 2,
                              lambda l: l.replace("Kotawaringin Barat", "Renamed"))
            self.replace_line(os.path.join(folder, "kalteng_tps.csv"), 7,
                              lambda l: re.sub(r",[0-9]+$", ",10000", l))

        folder = self.broken_copy(edit)
        proc = self.suara("seed", "--db", self.db.conninfo, folder)
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"kalteng_tps\.csv:7: dpt '10000'")
        self.assertEqual(self.value("SELECT name FROM regions WHERE code = '62.01'"),
                         "Kabupaten Kotawaringin Barat")

    def test_csv_syntax_error(self):
        folder = self.broken_copy(lambda f: self.replace_line(
            os.path.join(f, "kalteng_desa.csv"), 40, lambda l: l.replace(",", ',"', 1)))
        proc = self.suara("seed", "--check", folder)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("kalteng_desa.csv:40: ", proc.stderr)

    def test_not_a_seed_folder(self):
        proc = self.suara("seed", "--db", self.db.conninfo, harness.SCHEMA_DIR)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("provinsi.csv", proc.stderr)

    def test_unmigrated_database(self):
        db = harness.Database("seed_nomigrate")
        proc = self.suara("seed", "--db", db.conninfo, harness.SEED_DIR)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("suara migrate", proc.stderr)


class TokenTest(harness.SuaraTestCase):
    def create(self, *args):
        return self.suara("token", "create", "--db", self.db.conninfo, *args)

    def test_create_stores_only_the_hash(self):
        proc = self.create("--role", "admin", "--scope", "62", "--name", "ops")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        token = proc.stdout.splitlines()[0]
        self.assertRegex(token, harness.TOKEN_RE)
        self.assertEqual(proc.stdout, token + "\n")  # the token alone on stdout
        self.assertIn("only this once", proc.stderr)
        digest = hashlib.sha256(token.encode()).hexdigest()
        self.assertEqual(self.rows(f"SELECT role, scope, name FROM tokens WHERE hash = '{digest}'"),
                         [("admin", "62", "ops")])
        dump = self.psql("SELECT t::text FROM tokens t")
        self.assertNotIn(token, dump)
        self.assertNotIn(token[3:], dump)

    def test_tokens_differ(self):
        tokens = {self.make_token("witness", "62.01.01.1011.001") for _ in range(3)}
        self.assertEqual(len(tokens), 3)

    def test_bad_role_and_scope(self):
        cases = [(["--role", "boss", "--scope", "62"], 2, "role"),
                 (["--scope", "62"], 2, "role"),
                 (["--role", "admin", "--scope", "6x.01"], 2, "not a region or TPS code"),
                 (["--role", "admin"], 2, "scope"),
                 (["--role", "admin", "--scope", "62.99"], 1, "62.99"),
                 (["--role", "witness", "--scope", "62.01.01.1011.999"], 1, "62.01.01.1011.999")]
        before = self.value("SELECT count(*) FROM tokens")
        for args, code, message in cases:
            proc = self.create(*args)
            self.assertEqual(proc.returncode, code, (args, proc.stderr))
            self.assertIn(message, proc.stderr, args)
            self.assertEqual(proc.stdout, "", args)
        self.assertEqual(self.value("SELECT count(*) FROM tokens"), before)

    def test_every_scope_level(self):
        for scope in ("62", "62.03", "62.03.01", "62.01.01.1011", "62.01.01.1011.001"):
            self.make_token("reviewer", scope)

    def test_list_and_revoke(self):
        token = self.make_token("monitor", "62.71", "listed")
        token_id = self.value(
            f"SELECT id FROM tokens WHERE hash = '{hashlib.sha256(token.encode()).hexdigest()}'")
        listing = self.suara("token", "list", "--db", self.db.conninfo)
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertRegex(listing.stdout, rf"(?m)^\s*{token_id}\s+monitor\s+62\.71\s+\S+\s+-\s+listed$")
        self.assertNotIn(token, listing.stdout)
        self.assertNotIn(hashlib.sha256(token.encode()).hexdigest(), listing.stdout)

        revoke = self.suara("token", "revoke", "--db", self.db.conninfo, token_id)
        self.assertEqual(revoke.returncode, 0, revoke.stderr)
        self.assertEqual(self.value(f"SELECT revoked_at IS NOT NULL FROM tokens WHERE id = {token_id}"),
                         "t")
        again = self.suara("token", "revoke", "--db", self.db.conninfo, token_id)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("already revoked", again.stdout)
        active = self.suara("token", "list", "--active", "--db", self.db.conninfo)
        self.assertNotRegex(active.stdout, rf"(?m)^\s*{token_id}\s")
        missing = self.suara("token", "revoke", "--db", self.db.conninfo, "999999")
        self.assertEqual(missing.returncode, 1)
        self.assertEqual(self.suara("token", "revoke", "--db", self.db.conninfo, "x").returncode, 2)

    def test_changes_notify_the_server(self):
        listener = subprocess.Popen(
            [harness.psql_binary(), "-X", "-A", "-t", "-q", "-d", self.db.conninfo],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            listener.stdin.write("LISTEN suara_tokens;\nSELECT 'listening';\n")
            listener.stdin.flush()
            self.assertEqual(listener.stdout.readline().strip(), "listening")
            token = self.make_token("witness", "62.02")
            token_id = self.value("SELECT max(id) FROM tokens")
            self.assertEqual(self.suara("token", "revoke", "--db", self.db.conninfo,
                                        token_id).returncode, 0)
            out, _ = listener.communicate("SELECT 'done';\n", timeout=30)
        finally:
            if listener.poll() is None:
                listener.kill()
        self.assertEqual(out.count('notification "suara_tokens"'), 2, out)
        self.assertTrue(token)


if __name__ == "__main__":
    harness.main()
