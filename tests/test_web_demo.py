"""Every page answers on the archive `gov-archive demo` leaves behind (a real crawl's output)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers_web import Client

from archive import Archive


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("GOV_ARCHIVE_DB", None)
    proc = subprocess.run([sys.executable, "-m", "crawler", "demo", "--db", str(path)],
                          capture_output=True, text=True, encoding="utf-8", timeout=180, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return path


def test_every_page_of_the_demo_archive_answers(demo_archive: Path) -> None:
    with Archive(demo_archive, read_only=True) as archive:
        documents = [e["document_id"] for e in archive.events(kinds=["new"])]
        changed = [e["document_id"] for e in archive.events(kinds=["changed"])]
        gone = [e["document_id"] for e in archive.events(kinds=["gone"])]
        sites = [s["name"] for s in archive.sites()]
    assert changed and gone
    client = Client(demo_archive)
    urls = ["/", "/?kind=gone", "/feed.atom", "/search"]
    urls += ["/search?q=" + quote(q) for q in ("营商环境", "法治", "税", "通知 公告")]
    urls += [f"/documents/{doc_id}" for doc_id in documents]
    urls += [f"/documents/{doc_id}/diff" for doc_id in changed]
    urls += [f"/documents/{doc_id}/diff?view=side" for doc_id in changed]
    urls += [f"/sites/{quote(name)}" for name in sites]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Traceback" not in response.text, url
    withdrawn = client.get(f"/documents/{gone[0]}").text
    assert "<strong>Withdrawn.</strong>" in withdrawn
    assert "<del>" in client.get(f"/documents/{changed[0]}/diff").text
