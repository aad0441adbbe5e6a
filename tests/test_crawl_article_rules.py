"""Site rules: an ``[article] published`` selector is read with the extractor's date parser."""

from __future__ import annotations

from pathlib import Path

from helpers_crawl import article_html, article_text, html_page, list_html, run_crawl, serve

from archive import Archive

DATES = {  # text in the selected element -> published
    "/tzgg/202401/t20240101_1.html": ("成文日期：二〇二三年二月二十八日", "2023-02-28"),
    "/tzgg/202401/t20240102_2.html": ("发布时间：2023-02-28 10:30", "2023-02-28T10:30:00+08:00"),
    "/tzgg/202401/t20240103_3.html": ("2023.02.30 修订于 2023-03-01", "2023-03-01"),  # no 2月30日
}


def test_published_selector_uses_parse_date(tmp_path: Path) -> None:
    pages = {}
    for n, (path, (text, _)) in enumerate(DATES.items(), 1):
        html = article_html(f"关于第{n}项工作的通知", "2024-01-01", article_text(n))
        html = html.replace('<div class="TRS_Editor">', f'<div class="pubdate">{text}</div><div class="TRS_Editor">')
        pages[path] = html_page(html)
    pages["/tzgg/index.html"] = html_page(list_html([(p, f"关于第{n}项工作的通知", "2024-01-01")
                                                     for n, p in enumerate(DATES, 1)]))
    sites = tmp_path / "sites"
    sites.mkdir()
    db = tmp_path / "a.db"
    with serve(pages) as srv:
        (sites / "city.toml").write_text(
            f'name = "city"\n[[columns]]\nurl = "{srv.url("/tzgg/index.html")}"\n'
            f'[article]\npublished = "div.pubdate"\n', encoding="utf-8")
        proc = run_crawl(db, "city", "--sites", str(sites))
    assert proc.returncode == 0, proc.stderr[-2000:]
    with Archive(db) as a:
        got = {path: a.document(srv.url(path))["published"] for path in DATES}
    assert got == {path: want for path, (_text, want) in DATES.items()}
