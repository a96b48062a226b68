"""docs/deploy/patroni.yml, run by Debian's patroni as shipped (only names,
addresses and folders replaced, and fsync off) on three PostgreSQL nodes of
Debian's PostgreSQL, with one etcd member (Debian's etcd-server), all on
loopback. `suara serve` is given the three nodes with
target_session_attrs=read-write; witnesses submit all along. The primary
dies as its machine would (Patroni and PostgreSQL SIGKILLed) while one
standby is behind the other (the primary's WAL sender to it stopped, so the
other holds WAL it never got: the case that left a standby diverged with one
synchronous standby of two); Patroni promotes the standby ahead by itself and the same Suara process goes
on: every acknowledged form is on the new primary once with its form id and
receipt, tallies equal a SQL recount, and the other standby streams from the
new primary as its synchronous standby with no operator step (both standbys
are synchronous, so Patroni promotes the one with the most WAL and the
other never holds WAL the new primary lacks). The server's other connections follow too: a photo is stored (the
photo store's), the timeline writes new points (the snapshots') and a token
made on the new primary is taken (the writer's LISTEN). Restarted, the old
primary's node rejoins as a standby and both are synchronous again. The time
from the kill to the first new acknowledgement is reported.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import harness
import ha_cluster as ha
import images

DEPLOY = os.path.join(harness.SOURCE_DIR, "docs", "deploy")
SUPERUSER_PASSWORD = "CHANGE-ME-superuser"


def program(name, package):
    path = shutil.which(name) or f"/usr/bin/{name}"
    if not os.access(path, os.X_OK):
        raise harness.SetupError(f"{name} not found (Debian package {package})")
    return path


def as_postgres(cmd):
    return ["runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


class Etcd:
    """One etcd member on loopback: Patroni's store (production runs three)."""

    def __init__(self, test, folder):
        self.port, peer = harness.free_port(), harness.free_port()
        url, peer_url = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{peer}"
        self.log_path = os.path.join(folder, "etcd.log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [program("etcd", "etcd-server"), "--name", "etcd1",
                 "--data-dir", os.path.join(folder, "etcd"), "--listen-client-urls", url,
                 "--advertise-client-urls", url, "--listen-peer-urls", peer_url,
                 "--initial-advertise-peer-urls", peer_url,
                 "--initial-cluster", f"etcd1={peer_url}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd="/")
        test.addCleanup(self.stop)
        harness.wait_until(self.healthy, timeout=60, message="etcd to answer /health")

    def healthy(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                return json.loads(r.read()).get("health") == "true"
        except (OSError, ValueError):
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


class PatroniNode(ha.Node):
    """One PostgreSQL node managed by its own patroni process."""

    def __init__(self, name, etcd_port):
        super().__init__(name)
        self.api_port = harness.free_port()
        self.config = os.path.join(self.dir, "patroni.yml")
        self.patroni_log = os.path.join(self.dir, "patroni.log")
        self.proc = None
        with open(os.path.join(DEPLOY, "patroni.yml")) as f:
            text = f.read()
        replaced = {
            "name: pg1": f"name: {name}",
            "pg1.example:8008": f"127.0.0.1:{self.api_port}",
            "pg1.example:5432": f"127.0.0.1:{self.port}",
            "etcd1.example:2379,etcd2.example:2379,etcd3.example:2379": f"127.0.0.1:{etcd_port}",
            "/var/lib/postgresql/15/suara": self.data,
            "/var/lib/postgresql/15-suara.pgpass": os.path.join(self.dir, "pgpass"),
            "/usr/lib/postgresql/15/bin": os.path.dirname(ha.pg_bin("postgres")),
            "10.0.0.0/24": "127.0.0.1/32",
            "unix_socket_directories: /var/run/postgresql": f"unix_socket_directories: {self.dir}",
        }
        # Throwaway data on a shared disk: nothing is synced to it (the
        # drill kills processes, never the machine).
        replaced.update({"    - data-checksums": "    - data-checksums\n    - no-sync",
                         "    - checkpoint: fast": "    - checkpoint: fast\n    - no-sync",
                         'synchronous_commit: "on"': 'synchronous_commit: "on"\n        fsync: "off"'})
        for old, new in replaced.items():
            if old not in text:
                raise AssertionError(f"the shipped patroni.yml changed: no {old!r}")
            text = text.replace(old, new)
        with open(self.config, "w") as f:
            f.write(text)
        if self.root:
            shutil.chown(self.config, "postgres", "postgres")

    def start_patroni(self):
        with open(self.patroni_log, "a") as log:
            self.proc = subprocess.Popen(as_postgres([program("patroni", "patroni"), self.config]),
                                         stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd="/")

    def conninfo(self, db=ha.DBNAME):
        return super().conninfo(db) + f" password={SUPERUSER_PASSWORD}"

    def role(self):
        """Patroni's view of this node from its REST API: "primary" or
        "replica" once its PostgreSQL runs, else None."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/patroni",
                                        timeout=2) as r:
                state = json.loads(r.read())
        except (OSError, ValueError):
            return None
        if state.get("state") != "running":
            return None
        return "primary" if state.get("role") in ("master", "primary") else state.get("role")

    def patronictl(self, *args):
        """patronictl on this node's file, as the runbook has it; its output."""
        proc = subprocess.run([program("patronictl", "patroni"), "-c", self.config, *args],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise AssertionError(f"patronictl {args} failed: {proc.stderr}")
        return proc.stdout

    def unauthenticated_post(self, path):
        """The status of a POST to this node's REST API without its password."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.api_port}{path}", data=b"{}",
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def sync_members(self):
        """The standbys Patroni has named synchronous in etcd (its /cluster
        says sync_standby): the only ones it lets promote. None while its
        REST API does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/cluster",
                                        timeout=5) as r:
                members = json.loads(r.read())["members"]
        except (OSError, ValueError, KeyError):
            return None
        return sorted(m["name"] for m in members if m.get("role") == "sync_standby")

    def kill(self):
        """The machine dies: Patroni first (or it would restart PostgreSQL),
        then PostgreSQL, both SIGKILLed."""
        if self.proc and self.proc.poll() is None:
            # runuser forwards no SIGKILL: kill the patroni process itself.
            for pid in [self.proc.pid] + _descendants(self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(30)
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            super().kill()

    def destroy(self):
        try:
            self.kill()
        except (OSError, ValueError, AssertionError, subprocess.TimeoutExpired):
            pass
        super().destroy()

    def diverged(self):
        """This standby received WAL the new primary never had (the old
        primary sent it before it died) and can no longer stream: what
        synchronous_node_count 2 rules out."""
        try:
            with open(self.patroni_log, errors="replace") as f:
                return "is not in this server's history" in f.read()
        except OSError:
            return False

    def logs(self, lines=30):
        try:
            with open(self.patroni_log, errors="replace") as f:
                tail = f.read().splitlines()[-lines:]
        except OSError:
            tail = []
        return f"--- {self.name}'s patroni log ---\n" + "\n".join(tail)


def received(node):
    """The end of the WAL a standby has received, in bytes."""
    high, low = node.value("SELECT pg_last_wal_receive_lsn()", db="postgres").split("/")
    return (int(high, 16) << 32) | int(low, 16)


def _descendants(pid):
    out = []
    for child in ha._children(pid):
        out += [child] + _descendants(child)
    return out


class PatroniCluster:
    def __init__(self, test, names=("pg1", "pg2", "pg3")):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="suara-patroni-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.etcd = Etcd(test, self.dir)
        self.nodes = []
        for name in names:
            node = PatroniNode(name, self.etcd.port)
            test.addCleanup(node.destroy)
            self.nodes.append(node)
        # The first bootstraps the cluster (initdb), the others copy it.
        self.nodes[0].start_patroni()
        self.wait(lambda: self.nodes[0].role() == "primary", 120,
                  "pg1 to bootstrap as the primary")
        for node in self.nodes[1:]:
            node.start_patroni()
        self.wait(lambda: self.sync_standbys(self.nodes[0]) == 2 and self.streaming() == 2, 120,
                  "both standbys to stream, both synchronous")
        # and Patroni to have named both in etcd: until then (strict mode
        # starts with '*') it would let any node promote.
        self.wait(lambda: len(self.nodes[0].sync_members() or []) == 2, 60,
                  "Patroni to name both standbys synchronous")
        # What the runbook has the operator run shows the same.
        listed = json.loads(self.nodes[0].patronictl("list", "--format", "json"))
        self.test.assertEqual(sorted(m["Role"] for m in listed),
                              ["Leader", "Sync Standby", "Sync Standby"])

    def wait(self, predicate, timeout, what):
        """Waits for predicate(), which may fail on a node still starting
        (psql's AssertionError counts as not yet); a timeout shows Patroni's logs."""
        def attempt():
            try:
                return predicate()
            except AssertionError:
                return None
        try:
            return harness.wait_until(attempt, timeout=timeout, interval=0.2, message=what)
        except AssertionError as e:
            raise AssertionError(f"{e}\n" + "\n".join(n.logs() for n in self.nodes)) from None

    def alive(self):
        return [n for n in self.nodes if n.proc and n.proc.poll() is None]

    def primary(self):
        found = [n for n in self.alive() if n.role() == "primary"]
        return found[0] if len(found) == 1 else None

    def streaming(self):
        primary = self.primary()
        if primary is None:
            return None
        return int(primary.value("SELECT count(*) FROM pg_stat_replication WHERE state = "
                                 "'streaming'", db="postgres"))

    def hold_back(self, primary):
        """The case that made a standby diverge: one standby has WAL the
        other never got. The primary's WAL sender to a synchronous standby
        (the first by name) is stopped (SIGSTOP) until the other standby has
        received more (the batch waiting at COMMIT, the timeline's points);
        the primary is killed next. Returns (the standby ahead, the one
        behind)."""
        name, sender = primary.rows("SELECT application_name, pid FROM pg_stat_replication "
                                    "WHERE sync_state = 'sync' ORDER BY 1 LIMIT 1",
                                    db="postgres")[0]
        os.kill(int(sender), signal.SIGSTOP)
        behind = next(n for n in self.nodes if n.name == name)
        ahead = next(n for n in self.nodes if n not in (primary, behind))
        self.wait(lambda: received(ahead) > received(behind), 60,
                  f"{ahead.name} to receive WAL {behind.name} has not")
        return ahead, behind

    def sync_standbys(self, node):
        return int(node.value("SELECT count(*) FROM pg_stat_replication WHERE sync_state IN "
                              "('sync', 'quorum')", db="postgres"))

    def conninfo(self):
        """Every node, the writable one wins (docs/operations.md)."""
        hosts = ",".join("127.0.0.1" for _ in self.nodes)
        ports = ",".join(str(n.port) for n in self.nodes)
        return (f"host={hosts} port={ports} user=postgres password={SUPERUSER_PASSWORD} "
                f"dbname={ha.DBNAME} target_session_attrs=read-write keepalives=1 "
                "keepalives_idle=5 keepalives_interval=2 keepalives_count=3 tcp_user_timeout=3000")


class PatroniTest(unittest.TestCase):
    def test_patroni_fails_over_and_suara_goes_on(self):
        cluster = PatroniCluster(self)
        old = cluster.primary()
        # Nobody without the REST API's password restarts or fails over a node.
        self.assertEqual(old.unauthenticated_post("/restart"), 401)
        old.create_suara_db()
        tokens = [old.token() for _ in range(3)]
        pool = ha.tps_pool(old)
        server = harness.Server(cluster.conninfo(), "--ack-timeout-ms", 1000,
                                "--rate-per-minute", 0, "--batch-delay-ms", 5,
                                "--snapshot-s", 1, ready=True)
        self.addCleanup(lambda: server.running and server.stop())
        pid = server.proc.pid

        new, behind, report = self.primary_dies(cluster, old, server, tokens, pool[:1200])
        self.assertTrue(server.running and server.proc.pid == pid, "the server restarted")
        self.other_connections_follow(server, new, tokens[0])
        # Strict synchronous mode goes on with the node that is left, which
        # never left the new primary's history.
        self.assertFalse(behind.diverged(), f"{behind.name} left the new primary's history")
        self.assertEqual(cluster.sync_standbys(new), 1,
                         "the new primary has no synchronous standby")
        # What the runbook says to do: bring the dead node back. Its Patroni
        # rewinds it onto the new primary's timeline and it streams again.
        restarted_at = time.monotonic()
        old.start_patroni()
        cluster.wait(lambda: old.role() == "replica" and cluster.sync_standbys(new) == 2
                     and new.sync_members() == sorted([old.name, behind.name]), 120,
                     f"{old.name} to rejoin as a synchronous standby")
        report += (f"; {old.name} restarted was a synchronous standby again "
                   f"{time.monotonic() - restarted_at:.1f} s later")
        report += self.standby_dies(cluster, new, behind, old, server, tokens, pool[1200:1800])
        self.assertTrue(server.running and server.proc.pid == pid, "the server restarted")
        print(f"\n  patroni: {report}", flush=True)

    def primary_dies(self, cluster, old, server, tokens, pool):
        """Witnesses submit; the primary's machine dies while one standby is
        behind the other. Returns (the new primary, the standby that was
        behind, what to report)."""
        witnesses, stop = ha.run_witnesses(server.port, tokens, pool, "patroni", 400)
        acked = lambda: sum(len(w.acks) for w in witnesses)
        harness.wait_until(lambda: acked() >= 40, timeout=60, message="forms before the kill")
        ahead, behind = cluster.hold_back(old)
        killed_at = time.monotonic()
        old.kill()
        new = cluster.wait(lambda: cluster.primary(), 90, "Patroni to promote a standby")
        promoted_s = time.monotonic() - killed_at
        # The one with the most WAL, never the other: that one would have
        # left the survivor with WAL the new primary lacks.
        self.assertEqual(new.name, ahead.name)
        self.points = int(new.value("SELECT count(*) FROM tally_snapshots"))
        # Nobody steps in: the other standby follows the new primary by
        # itself and strict synchronous mode commits again.
        first = cluster.wait(lambda: ha.first_new_ack(witnesses, killed_at), 120,
                             "a new form acknowledged after the failover")
        before = acked()
        harness.wait_until(lambda: acked() >= before + 40, timeout=60,
                           message="forms after the failover")
        ha.stop_witnesses(self, witnesses, stop)
        acks = ha.all_acks(witnesses)
        ha.assert_acks_stored(self, new, acks, "patroni")
        ha.assert_tallies_match_sql(self, server.port, new)
        refused = ha.refusals(witnesses, after=killed_at)
        return new, behind, (
            f"{behind.name} held back, {new.name} promoted {promoted_s:.1f} s after {old.name} "
            f"was killed (ttl 15 s), first new form acknowledged {first - killed_at:.1f} s after "
            f"the kill; {len(acks)} forms acknowledged, {len(refused)} answers 503 meanwhile "
            f"({sorted(set(c for _, c in refused))})")

    def other_connections_follow(self, server, new, token):
        """The photo store's, the timeline's and the writer's LISTEN
        connections work on the new primary."""
        photo = images.png(seed=11)
        sha = images.sha256(photo)
        # A new photo: 201 once the photo store's connection has followed the
        # new primary; 503 (not ready yet) means try again.
        status = harness.wait_until(
            lambda: (s := server.request("PUT", f"/api/v1/photos/{sha}", photo, token=token,
                                         headers={"Content-Type": "image/png"})[0]) != 503 and s,
            timeout=30, message="the photo store to take a photo after the failover")
        self.assertEqual(status, 201)
        self.assertEqual(new.value(f"SELECT count(*) FROM photos WHERE sha256 = '{sha}'"), "1")
        harness.wait_until(
            lambda: int(new.value("SELECT count(*) FROM tally_snapshots")) > self.points,
            timeout=30, message="the timeline to write on the new primary")
        # The writer's connection LISTENs again: a token made on the new
        # primary is taken (its NOTIFY reached the server).
        server.wait_for_token(new.token(), timeout=30)

    def standby_dies(self, cluster, primary, dying, other, server, tokens, pool):
        """A synchronous standby's machine dies under load: commits waited
        for it, Patroni names the other alone and the count goes on.
        Returns what to report."""
        witnesses, stop = ha.run_witnesses(server.port, tokens, pool, "standby", 200)
        acked = lambda: sum(len(w.acks) for w in witnesses)
        harness.wait_until(lambda: acked() >= 20, timeout=60, message="forms before the kill")
        dying.kill()
        # From the moment its processes are gone: a form sent while they
        # were dying could still be acknowledged by both standbys.
        killed_at = time.monotonic()
        first = cluster.wait(lambda: ha.first_new_ack(witnesses, killed_at), 60,
                             f"a new form acknowledged after {dying.name} died")
        before = acked()
        harness.wait_until(lambda: acked() >= before + 20, timeout=60,
                           message=f"forms after {dying.name} died")
        ha.stop_witnesses(self, witnesses, stop)
        ha.assert_acks_stored(self, primary, ha.all_acks(witnesses), "standby")
        ha.assert_tallies_match_sql(self, server.port, primary)
        self.assertEqual(primary.sync_members(), [other.name])
        return (f"; standby {dying.name} killed under load: first new form acknowledged "
                f"{first - killed_at:.1f} s later, {other.name} the synchronous standby alone")


if __name__ == "__main__":
    harness.main()
