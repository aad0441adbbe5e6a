"""benchmarks/extraction_accuracy.py: coverage and precision apart, body P/R/F1, peers optional."""

from __future__ import annotations

import builtins
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
from helpers_extract import CORPUS

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "extraction_accuracy.py"
PEERS = ("trafilatura", "htmldate", "gne")


@pytest.fixture
def bench(monkeypatch):
    spec = importlib.util.spec_from_file_location("extraction_accuracy", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script puts its repository first
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    for folder in ("pages", "truth"):
        (tmp_path / folder).mkdir()
    for page in ("002", "005"):
        shutil.copy(CORPUS / f"{page}.html", tmp_path / "pages" / f"{page}.html")
        shutil.copy(CORPUS / f"{page}.json", tmp_path / "truth" / f"{page}.json")
    return tmp_path


@pytest.fixture
def no_peers(monkeypatch):
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name.split(".")[0] in PEERS:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)


def test_missing_peers_are_reported_not_scored(bench, corpus: Path, no_peers, capsys) -> None:
    assert bench.main(["--corpus", str(corpus), "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for peer in ("trafilatura", "htmldate", "GNE"):
        assert f"{peer}: NOT SCORED" in out and "pip install" in out
    assert "| **gov-archive** | 100.0 % | 100.0 % | 100.0 % |" in out  # title, date coverage, precision
    assert "Synthetic families" in out


def test_json_reports_coverage_precision_and_body_recall(bench, corpus: Path, no_peers, capsys) -> None:
    assert bench.main(["--corpus", str(corpus), "--repeat", "1", "--no-synthetic", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    summary = data["sets"][0]["summary"]["gov-archive"]
    assert summary["dates_given"] == 1  # 005 shows no date: none given
    assert summary["date_coverage_pct"] == 100.0 and summary["date_precision_pct"] == 100.0
    assert {"body_p_mean", "body_r_mean", "body_f1_mean"} <= summary.keys()
    assert set(data["unavailable"]) == {"trafilatura", "htmldate", "GNE"}


def test_precision_counts_a_date_given_where_the_page_shows_none(bench) -> None:
    page = bench.Page("x", Path("x.html"), "", b"", {"title": "t", "published": None, "body": "正文"})
    result = bench.score(page, bench.OURS, bench.Output("t", "2023-02-28", "正文"), [1.0])
    summary = bench.summarize([result], [bench.OURS])[bench.OURS]
    assert summary["date_precision_pct"] == 0.0 and summary["date_coverage_pct"] is None
