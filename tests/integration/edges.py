"""Real nginx + nchan edges and a Redis for the tests, from Debian's packages
(nginx-light, libnginx-mod-nchan, redis-server), on loopback, each in a
folder of its own under the harness's scratch folder. The edge configuration
is the shipped docs/deploy/nchan-edge.conf with only its ports changed."""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import time

import harness

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
NCHAN_MODULE = "/usr/lib/nginx/modules/ngx_nchan_module.so"
EDGE_CONF = os.path.join(harness.SOURCE_DIR, "docs", "deploy", "nchan-edge.conf")


def _require(path, package):
    if not os.access(path, os.R_OK):
        raise harness.SetupError(f"{path} not found (Debian package {package})")


def _wait_port(port, what, timeout=15.0):
    import socket

    def up():
        with socket.socket() as s:
            s.settimeout(0.2)
            return s.connect_ex(("127.0.0.1", port)) == 0
    harness.wait_until(up, timeout=timeout, message=f"{what} on port {port}")


def write_nginx_conf(folder, include, modules=(), workers=1, nofile=65536):
    """Writes folder/nginx.conf: an nginx in the foreground whose files all
    live in folder, serving the http {} configuration folder/include, with
    `workers` worker processes of at most `nofile` open files each (an nginx
    asking for more than the hard limit keeps the limit it has). As root its
    workers run as root too, since the test's scratch folder is closed to the
    nobody user."""
    lines = [f"load_module {m};" for m in modules]
    if os.geteuid() == 0:
        lines.append("user root root;")
    temp = "\n".join(f"    {k}_temp_path {folder}/{k};"
                     for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    lines.append(f"""daemon off;
master_process on;
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
worker_rlimit_nofile {nofile};
events {{ worker_connections {max(64, nofile - 512)}; }}
http {{
    access_log off;
{temp}
    include {folder}/{include};
}}
""")
    with open(os.path.join(folder, "nginx.conf"), "w") as f:
        f.write("\n".join(lines))


def start_nginx(folder, port):
    """nginx -p folder in a session of its own, so that a kill reaches the
    master and its workers at once (killed first, the master would respawn
    them); waits until it listens on port."""
    proc = subprocess.Popen([NGINX, "-p", folder, "-c", f"{folder}/nginx.conf"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    _wait_port(port, "nginx")
    return proc


def kill_nginx(proc):
    """SIGKILL to the master and its workers, as a machine that dies."""
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


class Redis:
    def __init__(self):
        _require(REDIS, "redis-server")
        self.port = harness.free_port()
        self.dir = os.path.join(harness.tmpdir(), f"redis-{self.port}")
        os.makedirs(self.dir)
        atexit.register(self.stop)  # also when a test fails half-way
        self.start()

    def start(self):
        """Starts it (again, on the same port, empty)."""
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, "redis-server")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


class Edge:
    """One nginx running the shipped edge configuration against `redis`;
    with workers > 1 its listening socket is `reuseport`, so that the kernel
    spreads the viewers evenly over the workers (each under its open-file
    limit, nofile)."""

    def __init__(self, redis, workers=1, nofile=65536):
        _require(NGINX, "nginx-light")
        _require(NCHAN_MODULE, "libnginx-mod-nchan")
        self.redis = redis
        self.port = harness.free_port()
        self.dir = os.path.join(harness.tmpdir(), f"nginx-{self.port}")
        os.makedirs(self.dir)
        with open(EDGE_CONF) as f:
            conf = f.read()
        reuse = " reuseport" if workers > 1 else ""
        conf = re.sub(r"listen 127\.0\.0\.1:8081;", f"listen 127.0.0.1:{self.port}{reuse};", conf)
        conf = conf.replace("redis://127.0.0.1:6379", f"redis://127.0.0.1:{redis.port}")
        with open(os.path.join(self.dir, "edge.conf"), "w") as f:
            f.write(conf)
        write_nginx_conf(self.dir, "edge.conf", modules=[NCHAN_MODULE], workers=workers,
                         nofile=nofile)
        self.proc = None
        atexit.register(self.stop)  # also when a test fails half-way
        self.start()

    @property
    def publish_url(self):
        return f"http://127.0.0.1:{self.port}/pub"

    def start(self):
        self.proc = start_nginx(self.dir, self.port)

    def kill(self):
        kill_nginx(self.proc)

    def stop(self):
        kill_nginx(self.proc)  # nothing of an edge's state is worth a graceful stop

    def latest(self, contest, region, timeout=5.0):
        """The newest message of the channel, parsed; None when there is none.
        A new long-poll subscriber gets the oldest buffered message
        (first_message oldest); each request with the last one's validators
        gets the next, and one that would wait means there is no newer."""
        headers, body = {}, None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=0.5)
            try:
                conn.request("GET", f"/live/{contest}/{region}", headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (TimeoutError, OSError):
                break  # waiting for a message newer than the last: that one is the newest
            finally:
                conn.close()
            if resp.status != 200:
                break
            body = data
            headers = {"If-None-Match": resp.headers["Etag"],
                       "If-Modified-Since": resp.headers["Last-Modified"]}
        return json.loads(body) if body is not None else None

    def wait_for(self, contest, region, expected, timeout=20.0):
        """Waits until the channel's newest message equals `expected`."""
        last = [None]

        def matches():
            last[0] = self.latest(contest, region, timeout=2.0)
            return last[0] == expected
        try:
            harness.wait_until(matches, timeout=timeout, interval=0.2,
                               message=f"nchan {contest}/{region} to equal the HTTP tally")
        except AssertionError:
            raise AssertionError(f"nchan {contest}/{region}: {last[0]} != {expected}")

