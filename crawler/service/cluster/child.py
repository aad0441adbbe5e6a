"""The child process of a worker running one crawl: ``python -m crawler.service.cluster.child
CRAWL_ID CLAIM_JSON`` (the claim: Redis URL, lease token, attempt, worker name, its checked
``-s`` settings). Its exit status is the crawl's (crawler/service/runner.py)."""

from __future__ import annotations

import json
import sys

from crawler.service.cluster.worker import run_claimed


def main(argv: list[str]) -> int:
    crawl_id, claim = int(argv[0]), json.loads(argv[1])
    return run_claimed(claim["redis_url"], crawl_id, claim["token"], int(claim["attempt"]),
                       claim["name"], claim["settings"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
