"""PostgreSQL failover drills: a primary and a streaming standby from Debian's
PostgreSQL on loopback TCP, `suara serve` given both hosts with
target_session_attrs=read-write, witnesses submitting all along.

- Synchronous replication, primary SIGKILLed under load, standby promoted:
  the same Suara process carries on against the new primary; every
  acknowledged form is there once with its form id and receipt, tallies equal
  a SQL recount; the time from the kill to the first acknowledgement of a new form is reported.
- The same with asynchronous replication: the drill can see loss (reported,
  not failed: that is what asynchronous replication allows).
- A retried batch whose rows all exist already must still wait for the
  synchronous standby before anything is acknowledged.
- The night's topology on one failover: two Suaras (active and standby) on
  the primary and its synchronous standby. After the promotion exactly one
  of them holds the new primary and takes forms, whichever claims it first.
"""

import os
import signal
import time
import unittest

import harness
import ha_cluster as ha


def start_server(test, conninfo, *args):
    server = harness.Server(conninfo, "--ack-timeout-ms", 1000, "--rate-per-minute", 0,
                            "--batch-delay-ms", 5, *args, ready=True)
    test.addCleanup(lambda: server.running and server.stop())
    return server


class FailoverTest(unittest.TestCase):
    def drill(self, sync, prefix, before_kill=None):
        """Kills the primary under load and promotes the standby; returns
        (server, new primary, acknowledgements, seconds from the kill to the first new form acknowledged).
        before_kill(primary, standby, witnesses) runs just before the kill."""
        primary, standby = ha.primary_with_standby(self, sync=sync)
        tokens = [primary.token() for _ in range(4)]
        pool = ha.tps_pool(primary)
        server = start_server(self, ha.multi_host_conninfo(primary, standby))
        pid = server.proc.pid
        witnesses, stop = ha.run_witnesses(server.port, tokens, pool, prefix, 300)
        acked = lambda: sum(len(w.acks) for w in witnesses)
        harness.wait_until(lambda: acked() >= 40, timeout=60, message="forms before the kill")
        if before_kill:
            before_kill(primary, standby, witnesses)
        killed_at = time.monotonic()
        primary.kill()
        standby.promote()
        promoted_s = time.monotonic() - killed_at
        first = harness.wait_until(lambda: ha.first_new_ack(witnesses, killed_at), timeout=60,
                                   message="a new form acknowledged after the failover")
        recovery_s = first - killed_at
        before = acked()
        harness.wait_until(lambda: acked() >= before + 40, timeout=60,
                           message="forms after the failover")
        ha.stop_witnesses(self, witnesses, stop)
        self.assertTrue(server.running and server.proc.pid == pid, "the server restarted")
        self.assertEqual(ha.get(server.port, "/readyz")[0], 200)
        acks = ha.all_acks(witnesses)
        refused = sum(len(w.refusals) for w in witnesses)
        print(f"\n  {'synchronous' if sync else 'asynchronous'}: {len(acks)} forms acknowledged, "
              f"{refused} answers 503 meanwhile; standby promoted {promoted_s:.1f} s after the "
              f"kill, first new form acknowledged {recovery_s:.1f} s after the kill", flush=True)
        return server, standby, acks, recovery_s

    def test_synchronous_failover_loses_nothing(self):
        server, new_primary, acks, _ = self.drill(sync=True, prefix="sync")
        ha.assert_acks_stored(self, new_primary, acks, "sync")
        ha.assert_tallies_match_sql(self, server.port, new_primary)

    def test_asynchronous_failover_shows_its_loss(self):
        """On loopback the standby is rarely behind, so the drill holds the
        primary's WAL sender (SIGSTOP) for the last moments before the kill, as
        a slow network would: what was acknowledged meanwhile is lost, and the
        drill must see exactly that."""
        paused = {}

        def hold_wal_sender(primary, standby, witnesses):
            # A sync point first: every form acknowledged before `at` has its
            # commit below the LSN read after it, and the standby replays that
            # far before the sender is held. Asynchronous commits do not wait
            # for the sender, so without it a form acknowledged just before
            # the SIGSTOP could be lost too (more likely the busier the machine).
            paused["at"] = time.monotonic()
            standby.wait_replayed(primary)
            pid = int(primary.value("SELECT pid FROM pg_stat_replication", db="postgres"))
            os.kill(pid, signal.SIGSTOP)
            before = sum(len(w.acks) for w in witnesses)
            harness.wait_until(lambda: sum(len(w.acks) for w in witnesses) >= before + 20,
                               timeout=60, message="forms while the WAL sender is held")

        server, new_primary, acks, _ = self.drill(sync=False, prefix="async",
                                                  before_kill=hold_wal_sender)
        stored = ha.stored_forms(new_primary, "async")
        lost = [sid for sid in acks if sid not in stored]
        acked_while_held = {sid for sid, (_, at, _, _) in acks.items() if at > paused["at"]}
        self.assertTrue(lost, "the drill saw no loss although the standby was cut off")
        self.assertLessEqual(set(lost), acked_while_held,
                             "lost a form acknowledged before the standby had replayed it")
        doubled = [sid for sid, (_, _, n) in stored.items() if n != 1]
        self.assertEqual(doubled, [], "forms stored twice")
        for sid, (form_id, receipt, _) in stored.items():
            body = acks[sid][0]
            self.assertEqual((body["form_id"], body["receipt"]), (form_id, receipt), sid)
        print(f"  asynchronous: {len(lost)} of {len(acks)} acknowledged forms are not on the "
              "new primary (the loss asynchronous replication allows)", flush=True)


class TwoServersTest(unittest.TestCase):
    def test_two_servers_follow_the_failover(self):
        """Both servers reconnect to the promoted standby. The active one
        reclaims the database if the standby server has not claimed it
        first; if it has, the active one finds its claim gone and exits 1
        (db_lost; systemd starts it again as the standby). Either way one
        server is ready and every acknowledged form is there once."""
        primary, standby = ha.primary_with_standby(self, sync=True)
        tokens = [primary.token() for _ in range(3)]
        conninfo = ha.multi_host_conninfo(primary, standby)
        servers = [start_server(self, conninfo)]
        servers.append(harness.Server(conninfo, "--ack-timeout-ms", 1000, "--rate-per-minute", 0,
                                      "--batch-delay-ms", 5, ready=False))
        self.addCleanup(lambda: servers[1].running and servers[1].stop())
        harness.wait_until(lambda: "another suara serve" in
                           ha.get(servers[1].port, "/readyz")[1].get("reason", ""),
                           timeout=30, message="the second server to wait for the claim")
        witnesses, stop = ha.run_witnesses([s.port for s in servers], tokens,
                                           ha.tps_pool(primary)[:900], "pair", 300)
        acked = lambda: sum(len(w.acks) for w in witnesses)
        harness.wait_until(lambda: acked() >= 40, timeout=60, message="forms before the kill")
        killed_at = time.monotonic()
        primary.kill()
        standby.promote()
        first = harness.wait_until(lambda: ha.first_new_ack(witnesses, killed_at), timeout=60,
                                   message="a new form acknowledged after the failover")
        before = acked()
        harness.wait_until(lambda: acked() >= before + 40, timeout=60,
                           message="forms after the failover")
        ha.stop_witnesses(self, witnesses, stop)
        ready = [i for i, s in enumerate(servers)
                 if s.running and ha.get(s.port, "/readyz")[0] == 200]
        self.assertEqual(len(ready), 1, "not exactly one server ready on the new primary")
        acks = ha.all_acks(witnesses)
        ha.assert_acks_stored(self, standby, acks, "pair")
        ha.assert_tallies_match_sql(self, servers[ready[0]].port, standby)
        other = servers[1 - ready[0]]
        print(f"\n  two servers: {'active' if ready == [0] else 'standby'} server holds the new "
              f"primary, the other {'waits' if other.running else 'exited'}; first new form "
              f"acknowledged {first - killed_at:.1f} s after the kill; {len(acks)} forms "
              "acknowledged", flush=True)


class RetriedBatchTest(unittest.TestCase):
    def test_retried_batch_waits_for_the_standby(self):
        """A batch committed on the primary while the synchronous standby is down,
        whose connection then breaks: written again on the next connection, all
        its rows exist already. It must still wait for the standby: no
        acknowledgement until the standby has the form."""
        primary, standby = ha.primary_with_standby(self, sync=True)
        token = primary.token()
        (a_tps, a_dpt), (b_tps, b_dpt) = ha.tps_pool(primary)[:2]
        form_a = harness.build_form("retry-a", a_tps, a_dpt)
        form_b = harness.build_form("retry-b", b_tps, b_dpt)
        server = start_server(self, primary.conninfo())
        status, body, _ = ha.post(server.port, form_a, token)
        self.assertEqual(status, 201, body)

        standby.stop()
        status, body, _ = ha.post(server.port, form_b, token)
        self.assertEqual((status, body["error"]["code"]), (503, "ack_timeout"), body)
        # Committed locally, waiting for the standby; break that session.
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"
        harness.wait_until(lambda: primary.value(waiting) == "1", timeout=30,
                           message="the batch to wait for the standby")
        primary.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE wait_event = 'SyncRep'")
        harness.wait_until(
            lambda: primary.value("SELECT count(*) FROM forms WHERE submission_id = 'retry-b'")
            == "1", timeout=30, message="form b to be committed on the primary")
        # The server reconnects and writes the batch again: it must wait too.
        harness.wait_until(lambda: primary.value(waiting) == "1", timeout=30,
                           message="the retried batch to wait for the standby")
        status, body, _ = ha.post(server.port, form_b, token)
        self.assertEqual((status, body["error"]["code"]), (503, "ack_timeout"), body)

        standby.start()
        answer = harness.wait_until(
            lambda: (lambda s, b, _: (s, b) if s in (200, 201) else None)(
                *ha.post(server.port, form_b, token)),
            timeout=60, message="form b acknowledged once the standby is back")
        self.assertEqual(answer[1]["status"], "counted", answer)
        standby.wait_replayed(primary)
        self.assertEqual(standby.value("SELECT count(*) FROM forms WHERE submission_id = "
                                       "'retry-b'"), "1")


if __name__ == "__main__":
    harness.main()
