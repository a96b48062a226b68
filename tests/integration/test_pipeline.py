"""The pipelined writer (docs/architecture.md, "The pipelined writer"),
--writer-depth 2: two batches in flight on the writer's own connection, on a private PostgreSQL cluster
(test_dbfaults' harness) whose faults are installed by each test.

- The writer's backend terminated while two batches are in flight (the first
  one still executing): both are written again, in order, and every
  acknowledged form is stored once, nothing else, tallies = SQL recount.
- Batch n fails (a test trigger raises for one submission_id) while batch
  n+1 is in flight: the database refuses n+1 (suara_batch's guard) and
  stores neither; once the fault is gone both are answered and stored once.
- A reconnect while two batches are unacknowledged, the first of them
  committed (its COMMIT waited for a synchronous standby that never came,
  and the backend was terminated there): both are written again, the first
  as a no-op, and every form is stored once.
"""

import re
import threading
import time

import harness
import test_dbfaults as dbf

# Every batch takes SLOW_S in PostgreSQL, so the next one is sealed and sent
# while it runs.
SLOW_S = 0.3
SLOW_TRIGGER = (
    "CREATE OR REPLACE FUNCTION slow_batch() RETURNS trigger LANGUAGE plpgsql AS $$"
    f" BEGIN PERFORM pg_sleep({SLOW_S}); RETURN NULL; END $$;"
    "DROP TRIGGER IF EXISTS slow ON forms;"
    "CREATE TRIGGER slow AFTER INSERT ON forms FOR EACH STATEMENT EXECUTE FUNCTION slow_batch();")
# The writer's connection, by the start of what it runs (pg_stat_activity
# keeps the first track_activity_query_size bytes of the last statement).
WRITER = ("FROM pg_stat_activity WHERE query LIKE 'WITH changed AS (%' "
          "AND pid <> pg_backend_pid()")
GUARD = "sent before batch"


def retried_batches(server):
    """The numbers of the batches written again after their first attempt."""
    return set(re.findall(r"batch_retry batch=(\d+) ops=\d+ attempts=1\b", server.log()))


class PipelineTest(dbf.DbFaultsTest):
    # only this module's tests, on the same kind of private cluster
    test_postgres_stopped_and_started = None
    test_failing_statement_is_not_acknowledged = None
    test_hanging_database = None

    def pg_log_since(self, offset):
        with open(f"{self.cluster.dir}/server.log", "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def pg_log_size(self):
        with open(f"{self.cluster.dir}/server.log", "rb") as f:
            return f.seek(0, 2)

    def witnesses(self, server, n, each, prefix):
        stop = threading.Event()
        deadline = time.monotonic() + 90
        ws = [dbf.Witness(server.port, self.tokens[i % 4], self.forms(each, f"{prefix}{i}"),
                          stop, deadline, pace=0) for i in range(n)]
        for w in ws:
            w.start()
        return ws, stop

    def finish(self, ws, stop):
        stop.set()
        for w in ws:
            w.join(60)
        self.assertFalse(any(w.is_alive() for w in ws))
        self.assertEqual([p for w in ws for p in w.problems], [])
        return {sid: body for w in ws for sid, body in w.acks.items()}

    def assert_exactly(self, acks, prefix):
        """Every acknowledged form stored once; no other form of the test."""
        self.assert_stored_once(acks)
        stored = int(self.pdb.value(f"SELECT count(*) FROM forms WHERE submission_id LIKE "
                                    f"'{prefix}%'"))
        self.assertEqual(stored, len(acks), "forms stored that were never acknowledged")

    def serve(self):
        return self.start_server("--ack-timeout-ms", 1000, "--rate-per-minute", 0,
                                 "--batch-delay-ms", 2, "--writer-depth", 2,
                                 db=self.pdb.conninfo, ready=True)

    def test_writer_backend_terminated_with_two_batches_in_flight(self):
        self.pdb.psql(SLOW_TRIGGER)
        self.addCleanup(self.pdb.psql, "DROP TRIGGER IF EXISTS slow ON forms")
        server = self.serve()
        ws, stop = self.witnesses(server, 8, 80, "term")
        acked = lambda: sum(len(w.acks) for w in ws)
        harness.wait_until(lambda: acked() >= 8, timeout=30, message="acknowledgements")
        # terminated while it runs the first of two batches in flight
        harness.wait_until(lambda: harness.metric(server, "suara_writer_batches_in_flight") == 2
                           and self.pdb.value(f"SELECT count(pg_terminate_backend(pid)) {WRITER} "
                                              "AND state = 'active'") == "1",
                           timeout=10, message="two batches in flight")
        before = acked()
        harness.wait_until(lambda: acked() >= before + 8, timeout=30,
                           message="acknowledgements after the reconnect")
        acks = self.finish(ws, stop)
        self.assertGreaterEqual(len(retried_batches(server)), 2,
                                "two batches in flight were written again")
        self.assertGreater(harness.metric(server, "suara_writer_pipelined_batches_total"), 0)
        self.assert_exactly(acks, "term")
        self.assert_tallies_match_sql(server.port)

    def test_failed_batch_stops_the_next(self):
        victim = self.forms(1, "guard-v")[0]
        bystanders = self.forms(3, "guard-b")
        self.pdb.psql(
            "CREATE TABLE IF NOT EXISTS pipeline_fault (sid text);"
            "CREATE OR REPLACE FUNCTION pipeline_fault() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN IF EXISTS (SELECT 1 FROM pipeline_fault WHERE sid = NEW.submission_id) THEN"
            " PERFORM pg_sleep(0.5);"  # long enough for the next batch to be sent meanwhile
            " RAISE EXCEPTION 'injected fault for %', NEW.submission_id; END IF;"
            " RETURN NEW; END $$;"
            "DROP TRIGGER IF EXISTS pipeline_fault ON forms;"
            "CREATE TRIGGER pipeline_fault BEFORE INSERT ON forms FOR EACH ROW "
            "EXECUTE FUNCTION pipeline_fault();"
            f"INSERT INTO pipeline_fault VALUES ('{victim['submission_id']}')")
        self.addCleanup(self.pdb.psql,
                        "DROP TRIGGER IF EXISTS pipeline_fault ON forms; DELETE FROM pipeline_fault")
        log_at = self.pg_log_size()
        server = self.serve()
        token = self.tokens[0]
        first = []
        posts = [threading.Thread(target=lambda f=f: first.append(dbf.post(server.port, f, token)))
                 for f in [victim] + bystanders]
        posts[0].start()
        time.sleep(0.15)  # the victim's batch is in PostgreSQL
        for t in posts[1:]:
            t.start()
        harness.wait_until(lambda: GUARD in self.pg_log_since(log_at), timeout=20,
                           message="the database refusing the batch after the failed one")
        for t in posts:
            t.join(30)
        # while the victim's batch fails, the batch after it stores nothing
        sids = "', '".join(f["submission_id"] for f in [victim] + bystanders)
        self.assertEqual(self.pdb.value(f"SELECT count(*) FROM forms WHERE submission_id IN "
                                        f"('{sids}')"), "0")
        self.assertEqual(sorted(status for status, _, _, _ in first), [503] * 4)
        self.pdb.psql("DELETE FROM pipeline_fault")
        acks = {}
        for form in [victim] + bystanders:
            deadline = time.monotonic() + 20
            while True:
                status, _, body, _ = dbf.post(server.port, form, token)
                if status != 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            # the server accepted the form on its first post (its batch waits, retried):
            # every later post is a retry of the same submission
            self.assertEqual(status, 200, f"{form['submission_id']}: {body}")
            acks[form["submission_id"]] = body
        self.assert_exactly(acks, "guard-")
        self.assert_tallies_match_sql(server.port)

    def sync_standby(self, names):
        self.pdb.psql(f"ALTER SYSTEM SET synchronous_standby_names = '{names}'")
        self.pdb.psql("ALTER SYSTEM SET synchronous_commit = 'on'")
        self.pdb.psql("SELECT pg_reload_conf()")

    def test_reconnect_with_two_unacknowledged_batches(self):
        server = self.serve()
        ws, stop = self.witnesses(server, 8, 60, "unack")
        acked = lambda: sum(len(w.acks) for w in ws)
        harness.wait_until(lambda: acked() >= 8, timeout=30, message="acknowledgements")
        log_at = self.pg_log_size()
        # batch n commits here and waits for a standby that never comes; n+1 is sent meanwhile
        self.sync_standby("nobody")
        self.addCleanup(self.pdb.psql, "SELECT pg_reload_conf()")
        self.addCleanup(self.pdb.psql, "ALTER SYSTEM RESET ALL")
        harness.wait_until(lambda: self.pdb.value(f"SELECT count(*) {WRITER} "
                                                  "AND wait_event = 'SyncRep'") == "1",
                           timeout=20, message="a batch committed, waiting for the standby")
        # as many new witnesses as the batch waiting can hold: the next batch goes out once the
        # queue is as long as the batch in flight (app_ingest.c, next_batch_due)
        more, more_stop = self.witnesses(server, 8, 20, "unackmore")
        harness.wait_until(lambda: harness.metric(server, "suara_writer_batches_in_flight") == 2,
                           timeout=20, message="two batches in flight, the first committed")
        retried = retried_batches(server)
        self.pdb.value(f"SELECT pg_terminate_backend(pid) {WRITER} AND wait_event = 'SyncRep'")
        harness.wait_until(lambda: "committed locally" in self.pg_log_since(log_at), timeout=10,
                           message="PostgreSQL's word that the batch had committed")
        self.pdb.psql("ALTER SYSTEM RESET ALL")
        self.pdb.psql("SELECT pg_reload_conf()")
        before = acked()
        harness.wait_until(lambda: acked() >= before + 8, timeout=30,
                           message="acknowledgements after the reconnect")
        acks = self.finish(ws, stop)
        acks.update(self.finish(more, more_stop))
        self.assertGreaterEqual(len(retried_batches(server) - retried), 2,
                                "both unacknowledged batches were written again")
        self.assert_exactly(acks, "unack")
        self.assert_tallies_match_sql(server.port)


if __name__ == "__main__":
    harness.main()
