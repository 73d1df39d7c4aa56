"""Benchmark of push and pull through a real ``llm-registry serve`` process on the local blob store.

Makes a folder of ``--files`` files of random bytes (``--size-mib`` in all, 2 GiB by default),
then, in the same run and on the same disk:

* ``cp``: ``cp -r`` of the folder, the median of three after one copy not timed (and ``cp_sync``:
  the same followed by ``sync``, the durability the blob store gives each blob with its fsyncs);
* ``sha256sum``: hashing every file, what a verification costs at least;
* ``push``: ``RemoteRegistry.push`` of the folder to the server (hashing, HEAD, upload sessions,
  the server hashing and storing every byte), with the server's RSS sampled meanwhile;
* ``push_again``: the same push once more (every blob is skipped);
* ``pull``: ``RemoteRegistry.pull`` into an empty folder (every file checked as it is written);
* ``verify``: ``RemoteRegistry.verify`` of the version with ``files=`` the pulled folder (every
  file hashed again).

Why cp is not timed on its first run: the first copy after the folder is made writes into memory
the machine has not touched for a while, which on a virtual machine costs page faults in the
host as well (a first ``cp`` of 2 GiB took 11.6 s here, the next with its ``sync`` 2.5 s); push and pull write into
memory the copies before them used and gave back. Each step is timed on memory in the same state.

Targets: push and pull each at least 70% of cp's throughput, the server's RSS growth under
100 MiB during the transfers, the second push under 1 s, verify at most 1.2 times sha256sum's
time. Prints one JSON object. Only
127.0.0.1 is contacted; everything is written under one temporary folder, removed at the end
(``--keep`` keeps it).

    python benchmarks/blobs.py                 # 2 GiB in 8 files
    python benchmarks/blobs.py --size-mib 256  # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from llm_registry.remote import RemoteRegistry
from llm_registry.settings import Settings

HOST = "127.0.0.1"
MIB = 1 << 20
MANIFEST = {"kind": "model", "name": "bench/weights", "version": "1.0.0", "spec": {"architecture": "llama"}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def make_folder(folder: Path, files: int, total: int) -> None:
    folder.mkdir(parents=True)
    each = total // files
    for number in range(files):
        with (folder / f"model-{number + 1:05d}-of-{files:05d}.safetensors").open("wb") as out:
            left = each
            while left:
                block = os.urandom(min(left, 16 * MIB))
                out.write(block)
                left -= len(block)


def rss_bytes(pid: int) -> int:
    """The resident memory of ``pid`` and its children (the server's workers)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except FileNotFoundError:
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of ``pid`` (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """The highest RSS of a process while the context lasts, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def serving(registry: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_REGISTRY_")}
    env["LLM_REGISTRY_ACCESS_LOG"] = "false"
    script = Path(sys.executable).with_name("llm-registry")
    with log.open("wb") as output:
        process = subprocess.Popen([str(script), "--registry", str(registry), "serve", "--no-auth", "--host", HOST,
                                    "--port", str(port)], stdout=output, stderr=output, env=env,
                                   start_new_session=True)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ready", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.1)
        yield url, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    os.sync()  # what earlier steps left to write back is not this step's cost
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=2048, help="Bytes of the folder in all, in MiB.")
    parser.add_argument("--files", type=int, default=8, help="Files in the folder.")
    parser.add_argument("--threads", type=int, default=4, help="Files push and pull move at once.")
    parser.add_argument("--dir", type=Path, default=None, help="Where to work (default: a temporary folder).")
    parser.add_argument("--keep", action="store_true", help="Keep the working folder.")
    args = parser.parse_args()
    total = args.size_mib * MIB
    work = Path(tempfile.mkdtemp(prefix="llmr-bench-blobs-", dir=args.dir))
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")  # push's digest cache goes with the rest
    free = shutil.disk_usage(work).free
    if free < 5 * total:
        raise SystemExit(f"{work} has {free / 2**30:.1f} GiB free; this run needs {5 * total / 2**30:.1f} GiB")
    try:
        source = work / "source"
        make_folder(source, args.files, total)
        size = sum(p.stat().st_size for p in source.iterdir())
        results: dict[str, Any] = {"bytes": size, "files": args.files, "threads": args.threads}

        def copy() -> None:
            subprocess.run(["cp", "-r", str(source), str(work / "copy")], check=True)

        copy()  # not timed: see the module's docstring
        shutil.rmtree(work / "copy")
        copies = []
        for _ in range(3):
            copies.append(timed(copy)[0])
            sync_seconds, _ = timed(os.sync)
            shutil.rmtree(work / "copy")
        cp_seconds = sorted(copies)[1]
        cp_sync_seconds, _ = timed(lambda: (subprocess.run(["cp", "-r", str(source), str(work / "copy")], check=True),
                                            os.sync()))
        shutil.rmtree(work / "copy")
        files = sorted(str(p) for p in source.iterdir())
        sha_seconds, _ = timed(lambda: subprocess.run(["sha256sum", *files], check=True, capture_output=True))
        results["cp"] = {"seconds": round(cp_seconds, 3), "MBps": round(size / cp_seconds / 1e6, 1),
                         "runs_seconds": [round(c, 3) for c in copies], "sync_after_seconds": round(sync_seconds, 3)}
        results["cp_sync"] = {"seconds": round(cp_sync_seconds, 3), "MBps": round(size / cp_sync_seconds / 1e6, 1)}
        results["sha256sum"] = {"seconds": round(sha_seconds, 3), "MBps": round(size / sha_seconds / 1e6, 1)}

        with serving(work / "registry", work / "server.log") as (url, process):
            settings = Settings.load({"transfer_threads": args.threads, "digest_cache": True}, environ={})
            cpu_before = cpu_seconds(os.getpid()), cpu_seconds(process.pid)
            with RemoteRegistry(url, settings=settings) as registry:
                baseline = rss_bytes(process.pid)
                with RssSampler(process.pid) as push_rss:
                    push_seconds, pushed = timed(lambda: registry.push(MANIFEST, [source]))
                again_seconds, again = timed(lambda: registry.push(MANIFEST, [source]))
                with RssSampler(process.pid) as pull_rss:
                    pull_seconds, pulled = timed(lambda: registry.pull("model:bench/weights", work / "pulled"))
                verify_seconds, verified = timed(lambda: registry.verify("model:bench/weights", files=work / "pulled"))
            client_cpu = cpu_seconds(os.getpid()) - cpu_before[0]
            server_cpu = cpu_seconds(process.pid) - cpu_before[1]
            assert pushed.uploaded == args.files, pushed
            assert again.uploaded == 0, again
            assert pulled.downloaded == args.files, pulled
            assert any(c.check == "files" and c.status == "ok" for c in verified.checks), verified
            for path in source.iterdir():
                assert (work / "pulled" / path.name).stat().st_size == path.stat().st_size
        push_mbps = size / push_seconds / 1e6
        pull_mbps = size / pull_seconds / 1e6
        cp_mbps = size / cp_seconds / 1e6
        growth = max(push_rss.peak, pull_rss.peak) - baseline
        results["push"] = {"seconds": round(push_seconds, 3), "MBps": round(push_mbps, 1),
                           "of_cp": round(push_mbps / cp_mbps, 3),
                           "of_cp_sync": round(push_seconds and cp_sync_seconds / push_seconds, 3)}
        results["push_again"] = {"seconds": round(again_seconds, 3), "skipped": again.skipped}
        results["pull"] = {"seconds": round(pull_seconds, 3), "MBps": round(pull_mbps, 1),
                           "of_cp": round(pull_mbps / cp_mbps, 3)}
        results["verify"] = {"seconds": round(verify_seconds, 3), "MBps": round(size / verify_seconds / 1e6, 1),
                             "of_sha256sum_time": round(verify_seconds / sha_seconds, 3)}
        results["server_rss"] = {"baseline_MiB": round(baseline / MIB, 1),
                                 "peak_push_MiB": round(push_rss.peak / MIB, 1),
                                 "peak_pull_MiB": round(pull_rss.peak / MIB, 1), "growth_MiB": round(growth / MIB, 1)}
        results["cpu_seconds"] = {"client": round(client_cpu, 2), "server": round(server_cpu, 2)}
        results["targets"] = {
            "push_at_least_70pct_of_cp": push_mbps >= 0.7 * cp_mbps,
            "pull_at_least_70pct_of_cp": pull_mbps >= 0.7 * cp_mbps,
            "server_rss_growth_under_100MiB": growth < 100 * MIB,
            "second_push_under_1s": again_seconds < 1.0,
            "verify_at_most_1.2x_sha256sum": verify_seconds <= 1.2 * sha_seconds,
        }
        print(json.dumps(results, indent=2))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
