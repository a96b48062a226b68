"""docs/deploy/haproxy.cfg, run by Debian's haproxy as shipped (only the
addresses replaced), in front of two `suara serve` on one PostgreSQL: traffic
goes only to the server whose /readyz is 200; when it is killed, haproxy
follows the standby as it takes over, and witnesses that only know haproxy's
address lose nothing."""

import csv
import io
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

import harness
import ha_cluster as ha

DEPLOY = os.path.join(harness.SOURCE_DIR, "docs", "deploy")


class Haproxy:
    def __init__(self, test, backends):
        path = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not os.access(path, os.X_OK):
            raise harness.SetupError("haproxy not found (Debian package haproxy)")
        self.dir = tempfile.mkdtemp(prefix="suara-haproxy-")
        if not harness.KEEP:
            test.addCleanup(shutil.rmtree, self.dir, True)
        self.port, self.stats_port = harness.free_port(), harness.free_port()
        with open(os.path.join(DEPLOY, "haproxy.cfg")) as f:
            text = f.read()
        replaced = {"bind 0.0.0.0:80": f"bind 127.0.0.1:{self.port}",
                    "bind 127.0.0.1:8404": f"bind 127.0.0.1:{self.stats_port}",
                    "suara-a.example:8080": f"127.0.0.1:{backends[0]}",
                    "suara-b.example:8080": f"127.0.0.1:{backends[1]}"}
        for old, new in replaced.items():
            test.assertIn(old, text, "the shipped haproxy.cfg changed")
            text = text.replace(old, new)
        config = os.path.join(self.dir, "haproxy.cfg")
        with open(config, "w") as f:
            f.write(text)
        checked = subprocess.run([path, "-c", "-f", config], capture_output=True, text=True,
                                 timeout=30)
        test.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.log = open(os.path.join(self.dir, "haproxy.log"), "w")
        self.proc = subprocess.Popen([path, "-db", "-f", config], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        test.addCleanup(self.stop)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self.log.close()

    def events(self):
        """haproxy's health-check verdicts (a server marked UP or DOWN, and
        why), from its log: what a failure message needs to say."""
        self.log.flush()
        try:
            with open(os.path.join(self.dir, "haproxy.log"), errors="replace") as f:
                lines = [line.strip() for line in f if "Server suara/" in line]
        except OSError:
            return "(no haproxy log)"
        # haproxy -db writes each verdict twice (as a warning and as a log line).
        return "\n".join(dict.fromkeys(line.split(" : ", 1)[-1] for line in lines)) or "(none)"

    def wait_states(self, want, timeout, what):
        """Waits until haproxy sees the servers as `want`; a timeout says what
        it saw and its health checks' verdicts."""
        try:
            harness.wait_until(lambda: self.states() == want, timeout=timeout, message=what)
        except AssertionError as e:
            raise AssertionError(f"{e}: haproxy sees {self.states()}, wanted {want}; its health "
                                 f"checks:\n{self.events()}") from None

    def stats(self):
        """server name -> its row of haproxy's statistics (CSV fields)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.stats_port}/stats;csv",
                                        timeout=5) as resp:
                text = resp.read().decode().lstrip("# ")
        except OSError:
            return {}
        return {row["svname"]: row for row in csv.DictReader(io.StringIO(text))
                if row["pxname"] == "suara" and row["svname"] not in ("FRONTEND", "BACKEND")}

    def states(self):
        """server name -> status (UP, DOWN, ...) as haproxy sees it."""
        return {name: row["status"].split(" ")[0] for name, row in self.stats().items()}


class HaproxyTest(unittest.TestCase):
    def test_haproxy_follows_the_ready_server(self):
        node = ha.Node("primary").init_from_template()
        self.addCleanup(node.destroy)
        node.start()
        tokens = [node.token() for _ in range(3)]
        servers = []
        for ready in (True, False):
            server = harness.Server(node.conninfo(), "--ack-timeout-ms", 1000,
                                    "--rate-per-minute", 0, "--batch-delay-ms", 5,
                                    ready=ready)
            self.addCleanup(lambda s=server: s.running and s.stop())
            servers.append(server)
        active, standby = servers
        proxy = Haproxy(self, [active.port, standby.port])
        proxy.wait_states({"suara-a": "UP", "suara-b": "DOWN"}, 30,
                          "haproxy to route to the ready server only")

        witnesses, stop = ha.run_witnesses(proxy.port, tokens, ha.tps_pool(node)[:900], "lb",
                                           300)
        acked = lambda: sum(len(w.acks) for w in witnesses)
        harness.wait_until(lambda: acked() >= 40, timeout=60, message="forms through haproxy")
        killed_at = time.monotonic()
        # Routed to the ready server only: nothing reached the standby (whose
        # answer would be 503 not_ready) and haproxy always had a server up.
        # ack_timeout is the active server's own answer under load, retried.
        self.assertEqual([r for r in ha.refusals(witnesses, before=killed_at)
                          if r[1] != "ack_timeout"], [],
                         "haproxy sent forms to the server that was not ready")
        self.assertEqual(ha.gateway_answers(witnesses, before=killed_at), [],
                         "haproxy answered for the ready server before the kill; its health "
                         f"checks:\n{proxy.events()}")
        failed_checks = proxy.stats()["suara-a"]["chkfail"]
        active.kill()
        proxy.wait_states({"suara-a": "DOWN", "suara-b": "UP"}, 60,
                          "haproxy to follow the standby")
        switched_s = time.monotonic() - killed_at
        first = harness.wait_until(lambda: ha.first_new_ack(witnesses, killed_at), timeout=60,
                                   message="a new form acknowledged through haproxy")
        before = acked()
        harness.wait_until(lambda: acked() >= before + 40, timeout=60,
                           message="forms through haproxy after the takeover")
        ha.stop_witnesses(self, witnesses, stop)
        acks = ha.all_acks(witnesses)
        # Forms in flight when the active server died got haproxy's 502 and
        # were retried with their submission_id: stored once all the same.
        ha.assert_acks_stored(self, node, acks, "lb")
        ha.assert_tallies_match_sql(self, standby.port, node)
        gateway = ha.gateway_answers(witnesses, after=killed_at)
        print(f"\n  haproxy: standby UP in haproxy {switched_s:.1f} s and first new form acknowledged "
              f"{first - killed_at:.1f} s after the kill; {len(acks)} forms acknowledged, "
              f"{len(ha.refusals(witnesses))} answers 503 from suara and {len(gateway)} from "
              f"haproxy ({sorted(set(s for _, s in gateway))}) meanwhile, all retried; "
              f"{failed_checks} failed health checks of the active server before the kill",
              flush=True)


if __name__ == "__main__":
    harness.main()
