"""A real Spark cluster on this machine: a standalone master, one worker and the Thrift
server, all from the installed pyspark wheel and the system's Java.

The Thrift server (HiveThriftServer2, submitted to the master) is what `dbt --target
spark_thrift` talks to, as it would to a Thrift server on Databricks, EMR or Kubernetes. Every
process binds 127.0.0.1 on a free port, runs in its own process group (so stopping it stops
the JVMs it started) and logs to a file of the cluster folder. Its catalog is a Derby
metastore and its tables live under the cluster folder, so tables outlive a dbt run (the
nightly's incremental models) for as long as the folder is kept.

Used by `revops spark-cluster start|stop` and by tests/test_spark_cluster.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATE_FILE = "cluster.json"
# the JVMs' own sizes: small enough for a 2-core laptop shared with DuckDB
DAEMON_MEMORY = "256m"
WORKER_MEMORY = "2g"
WORKER_CORES = 2
EXECUTOR_MEMORY = "1g"
DRIVER_MEMORY = "1g"
# SQL settings the dbt project needs on every Spark cluster (set in the cluster's own
# configuration on Databricks, EMR or Kubernetes): UTC sessions, backslashes in string
# literals taken as written (the regular expressions), Parquet timestamps read as instants,
# and an insert_overwrite that replaces only the partitions it writes.
PROJECT_SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parser.escapedStringLiterals": "true",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}


class ClusterStartError(RuntimeError):
    """A cluster process did not come up in time (the message carries its log's tail)."""


@dataclass
class SparkCluster:
    """A running cluster: its folder, ports and the process group of each process."""

    folder: Path
    master_port: int
    thrift_port: int
    pids: dict[str, int] = field(default_factory=dict)  # master / worker / thrift -> pid

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    @property
    def warehouse_dir(self) -> Path:
        return self.folder / "warehouse"

    def dbt_environment(self) -> dict[str, str]:
        """What `dbt --target spark_thrift` (profiles.yml) needs to reach this cluster."""
        return {"REVOPS_SPARK_HOST": "127.0.0.1", "REVOPS_SPARK_PORT": str(self.thrift_port)}

    def log(self, name: str) -> Path:
        return self.folder / "logs" / f"{name}.log"

    def save(self) -> None:
        state = {**asdict(self), "folder": str(self.folder)}
        (self.folder / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> SparkCluster:
        state = json.loads((folder / STATE_FILE).read_text())
        return cls(
            folder=Path(state["folder"]),
            master_port=state["master_port"],
            thrift_port=state["thrift_port"],
            pids=state["pids"],
        )

    def stop(self, grace_seconds: float = 10) -> None:
        """Stop every process group (thrift server first, then worker, then master)."""
        for name in ("thrift", "worker", "master"):
            pid = self.pids.get(name)
            if pid is not None:
                _stop_group(pid, grace_seconds)
        (self.folder / STATE_FILE).unlink(missing_ok=True)


def spark_home() -> Path:
    """The Spark distribution inside the pyspark wheel (bin/, jars/)."""
    import pyspark

    return Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SPARK_HOME": str(spark_home()),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_LOCAL_HOSTNAME": "localhost",
            "SPARK_LOCAL_DIRS": str(folder / "tmp"),
            "SPARK_WORKER_DIR": str(folder / "work"),
            "SPARK_LOG_DIR": str(folder / "logs"),
            "SPARK_NO_DAEMONIZE": "1",
        }
    )
    return env


def _spawn(cluster: SparkCluster, name: str, command: list[str], env: dict[str, str]) -> None:
    log = cluster.log(name)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cluster.folder,
            start_new_session=True,  # its own process group: stop() ends the JVM it execs
        )
    cluster.pids[name] = proc.pid
    cluster.save()


def _wait_for(
    cluster: SparkCluster, name: str, ready: str, port: int | None, timeout: float
) -> None:
    """Wait until `ready` appears in the process's log (and `port` accepts connections)."""
    deadline = time.monotonic() + timeout
    log = cluster.log(name)
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if ready in text and (port is None or _accepts(port)):
            return
        if not _alive(cluster.pids[name]):
            raise ClusterStartError(f"Spark {name} exited while starting; {_tail(log)}")
        time.sleep(0.5)
    raise ClusterStartError(
        f"Spark {name} not up after {timeout:.0f} s (waited for {ready!r} in {log}); {_tail(log)}"
    )


def _tail(log: Path, lines: int = 30) -> str:
    text = log.read_text(errors="replace").splitlines() if log.exists() else []
    return "last lines of its log:\n" + "\n".join(text[-lines:])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a child that exited but was not reaped yet is not alive
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _stop_group(pid: int, grace_seconds: float) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    with suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)


def start_cluster(folder: Path, timeout: float = 300) -> SparkCluster:
    """Start master, worker and Thrift server with their state under `folder`; return once the
    Thrift server accepts connections. On any failure every started process is stopped."""
    folder = folder.resolve()
    for sub in ("logs", "tmp", "work", "warehouse"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    cluster = SparkCluster(folder=folder, master_port=free_port(), thrift_port=free_port())
    env = _environment(folder)
    # master and worker only (the Thrift server counts as a daemon too, and needs more)
    daemon_env = {**env, "SPARK_DAEMON_MEMORY": DAEMON_MEMORY}
    spark_class = str(spark_home() / "bin" / "spark-class")
    try:
        _spawn(
            cluster,
            "master",
            [
                spark_class,
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(cluster.master_port),
                "--webui-port",
                str(free_port()),
            ],
            daemon_env,
        )
        _wait_for(cluster, "master", "I have been elected leader", cluster.master_port, timeout)
        _spawn(
            cluster,
            "worker",
            [
                spark_class,
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--port",
                str(free_port()),
                "--webui-port",
                str(free_port()),
                "--cores",
                str(WORKER_CORES),
                "--memory",
                WORKER_MEMORY,
                "--work-dir",
                str(folder / "work"),
                cluster.master_url,
            ],
            daemon_env,
        )
        _wait_for(cluster, "worker", "Successfully registered with master", None, timeout)
        _spawn(cluster, "thrift", _thrift_command(cluster), env)
        _wait_for(cluster, "thrift", "HiveThriftServer2 started", cluster.thrift_port, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _thrift_command(cluster: SparkCluster) -> list[str]:
    folder = cluster.folder
    conf = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": DRIVER_MEMORY,
        "spark.executor.memory": EXECUTOR_MEMORY,
        "spark.cores.max": str(WORKER_CORES),
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.adaptive.enabled": "true",
        # what the project's SQL expects of any Spark it runs on (docs/spark.md)
        **PROJECT_SQL_CONF,
        "spark.sql.warehouse.dir": str(cluster.warehouse_dir),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
    }
    command = [
        str(spark_home() / "bin" / "spark-submit"),
        "--master",
        cluster.master_url,
        "--class",
        "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--name",
        "revops-thrift-server",
    ]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    command += [
        "spark-internal",
        "--hiveconf",
        f"hive.server2.thrift.port={cluster.thrift_port}",
        "--hiveconf",
        "hive.server2.thrift.bind.host=127.0.0.1",
    ]
    return command


@contextmanager
def running_cluster(folder: Path, timeout: float = 300) -> Iterator[SparkCluster]:
    """A cluster for the duration of a `with` block, stopped at its end even on failure."""
    cluster = start_cluster(folder, timeout)
    try:
        yield cluster
    finally:
        cluster.stop()
