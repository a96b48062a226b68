"""A standby Suara: two `suara serve` on one PostgreSQL (loopback TCP),
witnesses that move to the other server when one refuses or does not answer,
as a load balancer checking /readyz would.

- The active server SIGKILLed: the standby, not ready until then, takes over
  by itself; every acknowledged form is stored once, tallies equal a SQL
  recount.
- The active server SIGSTOPped past the fencing time: its session idles out,
  the standby takes over; after SIGCONT the old server acknowledges nothing
  (its batches are refused by the database) and exits 1.
"""

import signal
import time
import unittest

import harness
import ha_cluster as ha

FENCE_MS = 5000


def start_server(test, node, ready):
    server = harness.Server(node.conninfo(), "--ack-timeout-ms", 1000, "--rate-per-minute", 0,
                            "--batch-delay-ms", 5, "--fence-ms", FENCE_MS, ready=ready)
    test.addCleanup(lambda: server.running and server.stop())
    return server


class StandbyServerTest(unittest.TestCase):
    def setUp(self):
        self.node = ha.Node("primary").init_from_template()
        self.addCleanup(self.node.destroy)
        self.node.start()
        self.tokens = [self.node.token() for _ in range(3)]
        self.pool = ha.tps_pool(self.node)
        self.active = start_server(self, self.node, ready=True)
        self.standby = start_server(self, self.node, ready=False)

        def waiting():
            status, body = ha.get(self.standby.port, "/readyz")
            return status == 503 and "another suara serve" in body.get("reason", "")

        harness.wait_until(waiting, timeout=30, message="the standby to wait for the claim")

    def witnesses(self, prefix):
        return ha.run_witnesses([self.active.port, self.standby.port], self.tokens,
                                self.pool[:900], prefix, 300)

    def acked(self, witnesses):
        return sum(len(w.acks) for w in witnesses)

    def finish(self, witnesses, stop, prefix):
        ha.stop_witnesses(self, witnesses, stop)
        acks = ha.all_acks(witnesses)
        ha.assert_acks_stored(self, self.node, acks, prefix)
        ha.assert_tallies_match_sql(self, self.standby.port, self.node)
        return acks

    def test_active_killed_standby_takes_over(self):
        witnesses, stop = self.witnesses("kill")
        harness.wait_until(lambda: self.acked(witnesses) >= 40, timeout=60,
                           message="forms before the kill")
        killed_at = time.monotonic()
        self.active.kill()
        self.standby.wait_for("/readyz", timeout=60)
        ready_s = time.monotonic() - killed_at
        first = harness.wait_until(
            lambda: ha.first_new_ack(witnesses, killed_at, self.standby.port), timeout=60,
            message="a 201 from the standby")
        before = self.acked(witnesses)
        harness.wait_until(lambda: self.acked(witnesses) >= before + 40, timeout=60,
                           message="forms after the takeover")
        acks = self.finish(witnesses, stop, "kill")
        print(f"\n  active killed: standby ready {ready_s:.1f} s and first new form acknowledged "
              f"{first - killed_at:.1f} s after the kill; {len(acks)} forms acknowledged",
              flush=True)

    def test_hung_active_is_fenced(self):
        witnesses, stop = self.witnesses("hang")
        harness.wait_until(lambda: self.acked(witnesses) >= 40, timeout=60,
                           message="forms before the hang")
        stopped_at = time.monotonic()
        self.active.send_signal(signal.SIGSTOP)
        try:
            self.standby.wait_for("/readyz", timeout=60)
            takeover_s = time.monotonic() - stopped_at
            before = self.acked(witnesses)
            harness.wait_until(lambda: self.acked(witnesses) >= before + 30, timeout=60,
                               message="forms through the standby")
            # Past the witnesses' own HTTP timeout (10 s), so that no request
            # sent before the hang is still waiting for an answer of the old
            # server when it wakes up.
            time.sleep(max(0.0, 11.0 - (time.monotonic() - stopped_at)))
        finally:
            self.active.send_signal(signal.SIGCONT)
            woken_at = time.monotonic()
        # Woken up, the old server must not acknowledge anything, and stop.
        probes = [harness.build_form(f"woken-{code}", code, dpt)
                  for code, dpt in self.pool[900:960]]
        answers = []
        for form in probes:
            if not self.active.running:
                break
            try:
                status, body, _ = ha.post(self.active.port, form, self.tokens[0], timeout=15)
                answers.append((form["submission_id"], status))
            except OSError:
                answers.append((form["submission_id"], "no answer"))
            time.sleep(0.1)
        code = self.active.proc.wait(30)
        self.assertEqual(code, 1, self.active.log_tail())
        self.assertIn("event=db_lost", self.active.log())
        self.assertEqual([a for a in answers if a[1] in (200, 201)], [],
                         "the fenced server acknowledged")
        late = [sid for w in witnesses for sid, (_, at, _, port) in w.acks.items()
                if port == self.active.port and at > woken_at]
        self.assertEqual(late, [], "the fenced server acknowledged a witness")
        self.assertEqual(self.node.value("SELECT count(*) FROM forms WHERE submission_id LIKE "
                                         "'woken-%'"), "0")
        acks = self.finish(witnesses, stop, "hang")
        print(f"\n  active hung: standby ready {takeover_s:.1f} s after SIGSTOP "
              f"(--fence-ms {FENCE_MS}); woken server answered "
              f"{sorted(set(str(s) for _, s in answers))} to {len(answers)} new forms, then "
              f"exited 1; {len(acks)} forms acknowledged", flush=True)


if __name__ == "__main__":
    harness.main()
