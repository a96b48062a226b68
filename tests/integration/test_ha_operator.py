"""What an operator runs beside Suara, checked with the real tools from Debian:

- Prometheus (docs/deploy/prometheus.yml with the alert rules) scrapes a Suara
  on a primary with a synchronous standby and sees its claim and the standby;
  once the standby stops, Prometheus sees that too. `promtool check metrics`
  accepts /metrics.
- docs/deploy/suara-alerts.yml passes `promtool check rules` and its unit
  tests (`promtool test rules`).
- docs/deploy/suara.service passes `systemd-analyze verify`.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import harness
import ha_cluster as ha

DEPLOY = os.path.join(harness.SOURCE_DIR, "docs", "deploy")


def tool(name):
    path = shutil.which(name) or next(
        (p for p in (f"/usr/bin/{name}", f"/usr/sbin/{name}") if os.access(p, os.X_OK)), None)
    if not path:
        raise harness.SetupError(f"{name} not found (Debian package "
                                 f"{'systemd' if name == 'systemd-analyze' else 'prometheus'})")
    return path


def run(*cmd, input=None, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, input=input, cwd=cwd, timeout=120)


class Prometheus:
    """Debian's prometheus on 127.0.0.1 with the shipped configuration, its
    scrape targets replaced and its intervals shortened to 1 s."""

    def __init__(self, test, targets):
        self.dir = tempfile.mkdtemp(prefix="suara-prom-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        with open(os.path.join(DEPLOY, "prometheus.yml")) as f:
            text = f.read()
        text = text.replace("['suara-a.example:8080', 'suara-b.example:8080']",
                            json.dumps(targets)).replace(": 5s", ": 1s")
        test.assertIn(json.dumps(targets), text, "the shipped targets line changed")
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write(text)
        shutil.copy(os.path.join(DEPLOY, "suara-alerts.yml"), self.dir)
        self.port = harness.free_port()
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            [tool("prometheus"), f"--config.file={self.config}",
             f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
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

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return json.loads(resp.read())["data"]
        except OSError:
            return None

    def value(self, query):
        """The single sample of an instant query, as float, or None."""
        data = self.api("query", query=query)
        if not data or len(data["result"]) != 1:
            return None
        return float(data["result"][0]["value"][1])


class OperatorToolsTest(unittest.TestCase):
    def test_prometheus_scrapes_suara(self):
        primary, standby = ha.primary_with_standby(self, sync=True)
        server = harness.Server(primary.conninfo(), "--fence-ms", 3000, ready=True)
        self.addCleanup(lambda: server.running and server.stop())
        target = f"127.0.0.1:{server.port}"
        prom = Prometheus(self, [target])

        def targets_up():
            data = prom.api("targets")
            active = data["activeTargets"] if data else []
            return [t for t in active if t["health"] == "up"] if active else None

        up = harness.wait_until(targets_up, timeout=60, message="prometheus to scrape suara")
        self.assertEqual([t["labels"]["instance"] for t in up], [target])
        rules = prom.api("rules")
        names = sorted(r["name"] for g in rules["groups"] for r in g["rules"])
        self.assertEqual(names, sorted(["SuaraDatabaseDown", "SuaraNoWriter", "SuaraClaimLost",
                                        "SuaraQueueRising", "SuaraAckLatencyHigh",
                                        "SuaraReplicationLag", "SuaraNoSynchronousStandby",
                                        "SuaraStandbyLost", "SuaraUnavailable",
                                        "SuaraPublisherDrops"]))
        for query, want in (("suara_db_up", 1), ("suara_claim_held", 1),
                            ("suara_sync_required", 1), ("suara_sync_standbys", 1)):
            harness.wait_until(lambda: prom.value(query) == want, timeout=30,
                               message=f"prometheus to see {query} == {want}")

        standby.stop()
        harness.wait_until(lambda: prom.value("suara_sync_standbys") == 0, timeout=30,
                           message="prometheus to see the standby gone")
        self.assertEqual(prom.value("suara_claim_held"), 1)

        status, _, text = server.get("/metrics")
        self.assertEqual(status, 200)
        lint = run(tool("promtool"), "check", "metrics", input=text)
        self.assertEqual((lint.returncode, lint.stdout + lint.stderr), (0, ""))

    def test_alert_rules(self):
        checked = run(tool("promtool"), "check", "rules", "suara-alerts.yml", cwd=DEPLOY)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertIn("SUCCESS: 10 rules found", checked.stdout)
        tested = run(tool("promtool"), "test", "rules", "suara-alerts.test.yml", cwd=DEPLOY)
        self.assertEqual(tested.returncode, 0, tested.stdout + tested.stderr)
        self.assertIn("SUCCESS", tested.stdout)

    def test_systemd_unit(self):
        """Verified as shipped, except that ExecStart names the binary under
        test (systemd-analyze checks that it exists and is executable)."""
        with open(os.path.join(DEPLOY, "suara.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/local/bin/suara serve\n", unit)
        folder = tempfile.mkdtemp(prefix="suara-unit-")
        self.addCleanup(shutil.rmtree, folder, True)
        path = os.path.join(folder, "suara.service")
        with open(path, "w") as f:
            f.write(unit.replace("/usr/local/bin/suara", harness.SUARA_BIN))
        verified = run(tool("systemd-analyze"), "verify", path)
        self.assertEqual((verified.returncode, verified.stdout + verified.stderr), (0, ""))


if __name__ == "__main__":
    harness.main()
