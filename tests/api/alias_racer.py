"""A client process of the alias race test: for each line ``ALIAS VERSION`` on stdin, one
``PUT …/aliases/ALIAS`` to the server at argv[1]; prints the status of each, one per line."""

from __future__ import annotations

import sys

import httpx


def main() -> None:
    url, asset_path = sys.argv[1], sys.argv[2]
    with httpx.Client(base_url=url, timeout=60) as client:
        print("ready", flush=True)
        for line in sys.stdin:
            alias, version = line.split()
            response = client.put(f"{asset_path}/aliases/{alias}", json={"version": version})
            print(response.status_code, flush=True)


if __name__ == "__main__":
    main()
