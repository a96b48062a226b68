"""A server busy loading keeps its claim: the long steps of a start-up (the
registry's tree, the public log, the tallies: tens of seconds at a national
size on a loaded machine) run off the event loop, so the loop keeps sending
the fence's heartbeats and answering /readyz 503. Before, they ran on the
loop, the session sat idle past --fence-ms, PostgreSQL ended it (and with it
the claim) and the load began again.

The load is held in its last pool step (SUARA_LOAD_HOLD_FILE, tests only)
until the heartbeats have kept the claiming session alive for three times
the fence's span: a condition the test waits for, not a duration."""

import os
import signal
import socket
import uuid

import harness

FENCE_MS = 2000


class LoadKeepsClaimTest(harness.SuaraTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = harness.Database(cls.__name__, migrate=True, seed=True)

    def claim_holder(self):
        """The backend holding this database's claim (its advisory lock)."""
        return self.value("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                          "AND database = (SELECT oid FROM pg_database "
                          "WHERE datname = current_database())")

    def test_heartbeats_go_on_while_the_load_is_busy(self):
        server = self.start_server("--rate-per-minute", 0, ready=True)
        (tps, dpt), = self.fresh_tps(1)
        witness = self.make_token("witness", "62", server=server)
        status, _, _ = server.post("/api/v1/forms", harness.build_form(str(uuid.uuid4()), tps, dpt),
                                   token=witness)
        self.assertEqual(status, 201)
        server.stop()

        hold = os.path.join(harness.tmpdir(), f"hold-{uuid.uuid4().hex[:6]}")
        server = self.start_server("--fence-ms", FENCE_MS, env={"SUARA_LOAD_HOLD_FILE": hold})
        harness.wait_until(lambda: "event=load_held" in server.log(), timeout=60,
                           message="the load to reach its held step")
        holder = self.claim_holder()
        self.assertIsNotNone(holder, "the loading server holds the claim")
        since = self.value("SELECT now()")
        # The loop answers while the load is busy...
        status, _, body = server.get("/readyz")
        self.assertEqual((status, body.get("reason")), (503, "loading"))

        # ... and its heartbeats keep the claiming session alive well past
        # the fence: the same backend, running a heartbeat after 3 fences.
        def beating_late():
            return self.value(
                f"SELECT query_start > '{since}'::timestamptz + interval '{3 * FENCE_MS} ms' "
                f"FROM pg_stat_activity WHERE pid = {holder}") == "t"
        harness.wait_until(beating_late, timeout=120,
                           message="a heartbeat from the claiming session after three fences")
        self.assertEqual(self.claim_holder(), holder)

        open(hold, "w").close()
        server.wait_for("/readyz", timeout=60)
        log = server.log()
        self.assertEqual(log.count("event=loaded "), 1, server.log_tail())
        self.assertNotIn("load_failed", log)
        self.assertEqual(self.claim_holder(), holder)

    def stopping_while_held(self):
        """A server whose load is held in its pool step, sent SIGTERM: it has
        begun stopping. Returns the server and the file that releases the hold."""
        hold = os.path.join(harness.tmpdir(), f"hold-{uuid.uuid4().hex[:6]}")
        server = self.start_server(env={"SUARA_LOAD_HOLD_FILE": hold})
        harness.wait_until(lambda: "event=load_held" in server.log(), timeout=60,
                           message="the load to reach its held step")
        server.send_signal(signal.SIGTERM)
        harness.wait_until(lambda: "event=stopping" in server.log(), timeout=60,
                           message="the server to begin stopping")
        return server, hold

    def test_a_stop_while_the_load_is_busy_exits_cleanly(self):
        """SIGTERM while a pool step runs: the server closes the connection at
        once, and the step, when it comes back, frees what it loaded without
        touching the closed connection (the sanitizer build would say)."""
        server, hold = self.stopping_while_held()
        open(hold, "w").close()
        self.assertEqual(server.proc.wait(harness.STOP_TIMEOUT), 0, server.log_tail())
        log = server.log()
        for mark in harness.SANITIZER_MARKS:
            self.assertNotIn(mark, log)
        self.assertNotIn("event=loaded ", log)

    def test_more_signals_while_the_load_is_busy_wait_for_it(self):
        """A second signal skips the drain and closes everything at once; the
        signal handles stay open until the held pool step comes back, so a
        third does not meet the default action (which killed the process)."""
        server, hold = self.stopping_while_held()
        try:
            server.send_signal(signal.SIGTERM)

            def refused():
                try:
                    socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
                except ConnectionRefusedError:
                    return True
                except ConnectionResetError:
                    pass  # accepted while the listener closed: try again
                return False
            harness.wait_until(refused, timeout=60,
                               message="the second signal to close the listener")
            server.send_signal(signal.SIGTERM)
        finally:
            open(hold, "w").close()  # a failure above still lets the server stop
        self.assertEqual(server.proc.wait(harness.STOP_TIMEOUT), 0, server.log_tail())


if __name__ == "__main__":
    harness.main()
