"""The demo scenario: serve the demo site, watch its columns, crawl them, change the site,
re-crawl, and show the reports.

Every crawl and query runs as `python -m crawler ...` in a subprocess (one Scrapy crawl per
process), exactly the commands a user would type; the narration prints them as `gov-archive ...`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from archive import Archive
from crawler.demo.model import Article, Attachment, cn_day
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoSite, deadline_sentence, demo_site, new_notice

CRAWL_SETTINGS = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False")
SITE_NAME = "demo"  # the name the demo's columns are watched under
STEP_TIMEOUT = 300  # seconds; a hung step becomes a clear error instead of a stuck demo


class DemoFailed(click.ClickException):
    """A demo step failed; the message says which and why."""


@dataclass(frozen=True)
class PlannedChanges:
    """What phase 2 does to the site: one new notice, one edited (a sentence of its body and a
    cell of its attached sheet), one withdrawn."""

    new: Article
    edited: Article
    old_sentence: str
    new_sentence: str
    withdrawn: Article
    sheet: Attachment
    old_cell: str
    new_cell: str


def plan_changes(site: DemoSite) -> PlannedChanges:
    """Pick the changes (deterministic for a freshly generated demo site)."""
    edited = site.columns["tzgg"].articles[7]  # an older notice, on list page 2
    old = deadline_sentence(edited)
    if old is None:
        raise ValueError(f"{edited.path} has no deadline sentence to edit")
    due = edited.published + timedelta(days=10)
    new = old.replace(cn_day(due), cn_day(due + timedelta(days=7)))
    withdrawn = site.columns["zcwj"].articles[4]
    sheet = next((a for a in edited.attachments if a.extension == "xlsx"), None)
    if sheet is None:
        raise ValueError(f"{edited.path} has no attached sheet to edit")
    old_cell = sheet.rows[2][3]  # the second item's 办理时限
    new_cell = cn_day(edited.published + timedelta(days=27))
    return PlannedChanges(new_notice(site), edited, old, new, withdrawn, sheet, old_cell, new_cell)


def apply_changes(site: DemoSite, plan: PlannedChanges, *, now: datetime | None = None) -> None:
    site.publish(plan.new, now=now)
    site.edit(plan.edited.path, plan.old_sentence, plan.new_sentence, now=now)
    site.edit_attachment(plan.edited.path, plan.sheet.filename, plan.old_cell, plan.new_cell)
    site.withdraw(plan.withdrawn.path, now=now)


def add_args(url: str, title: str) -> list[str]:
    """Arguments after `gov-archive --db DB` that watch one demo column (`add`)."""
    return ["add", url, "--name", SITE_NAME, "--title", title]


def crawl_args(db: Path, *, full: bool = False) -> list[str]:
    """Arguments after `gov-archive` for one crawl of the watched demo site, politeness delays
    off: what is due (as cron runs it), or with `full` the site by name, every page again."""
    args = ["crawl", SITE_NAME, "--full"] if full else ["crawl", "--due"]
    args += ["--db", str(db)]
    for setting in CRAWL_SETTINGS:
        args += ["-s", setting]
    return args


class Scenario:
    """One run of the demo against a fresh archive at `db`."""

    def __init__(self, db: Path, *, port: int = 0, keep_serving: bool = False,
                 echo: Callable[[str], None] = click.echo) -> None:
        self.db = db
        self.port = port
        self.keep_serving = keep_serving
        self.echo = echo
        self.site = demo_site()
        self.step = 0

    def run(self) -> None:
        started = time.monotonic()
        try:
            server = DemoServer(self.site, port=self.port)
        except OSError as err:
            raise DemoFailed(f"cannot serve the demo site on 127.0.0.1 port {self.port}: "
                             f"{err.strerror or err}") from err
        with server:
            self._intro(server)
            self._heading("Watch the site's two columns (`add`)")
            for column in self.site.columns.values():
                self._query(add_args(server.url(column.page_path(0)), column.name))
            self._heading("First crawl of what is watched (`crawl --due`, as cron runs it): "
                          "each column's whole back catalogue")
            self._crawl(full=False)
            first = self._count_events("new")
            if first == 0:
                raise DemoFailed("the first crawl archived no announcement")
            self.echo(f"  → {first} announcements archived.")
            since = _next_second()
            plan = plan_changes(self.site)
            self._heading("The site changes (as a real CMS would publish, edit and withdraw)")
            apply_changes(self.site, plan)
            self._describe(plan)
            self._heading("Re-crawl with --full: walk every list page and revisit every article")
            self._crawl(full=True)
            self._check(plan, server, since)
            stamp = since.isoformat()
            self._heading("What is new since the re-crawl started? (`new`)")
            self._query(["new", "--since", stamp])
            self._heading("What was edited or withdrawn? (`changes`)")
            self._query(["changes", "--since", stamp])
            self._heading("What exactly changed in the edited notice? (`diff`)")
            self._query(["diff", server.url(plan.edited.path)])
            self._outro(time.monotonic() - started, server.url(plan.edited.path))
            if self.keep_serving:
                self._serve_until_interrupted(server)

    # -- steps ---------------------------------------------------------------------------
    def _intro(self, server: DemoServer) -> None:
        self.echo(click.style("gov-archive demo", bold=True)
                  + ": a fictional city government site, crawled, changed and crawled again.")
        self.echo(f"\nServing 示例市人民政府 (fictional, local only) at {server.url('/')}")
        for column in self.site.columns.values():
            encoding = "GBK-encoded" if column.encoding == "gbk" else "UTF-8"
            self.echo(f"  {column.name}  {server.url(column.page_path(0))}  "
                      f"{len(column.articles)} articles on {column.page_count} list pages "
                      f"({encoding})")
        self.echo(f"Archive: {self.db}")

    def _describe(self, plan: PlannedChanges) -> None:
        self.echo(f"  + published  {plan.new.title}\n"
                  f"               on page 1 of 通知公告, dated {plan.new.published:%Y-%m-%d}")
        self.echo(f"  ~ edited     {plan.edited.title}\n"
                  f"               one sentence changed, 发布时间 left at "
                  f"{plan.edited.published:%Y-%m-%d %H:%M}:\n"
                  f"               - {plan.old_sentence}\n"
                  f"               + {plan.new_sentence}\n"
                  f"               and in its attachment {plan.sheet.label} (same link, new file),\n"
                  f"               the second item's 办理时限: {plan.old_cell} -> {plan.new_cell}")
        self.echo(f"  - withdrawn  {plan.withdrawn.title}\n"
                  f"               removed from 政策文件; its URL now answers 404")

    def _crawl(self, *, full: bool) -> None:
        args = crawl_args(self.db, full=full)
        self._show_command(args)
        started = time.monotonic()
        proc = self._run(args, capture=True)
        for line in proc.stdout.splitlines():
            self.echo("  " + line)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.splitlines()[-25:])
            raise DemoFailed(f"the crawl exited with status {proc.returncode}:\n{tail}")
        self.echo(f"  ({time.monotonic() - started:.1f} s)")

    def _query(self, args: list[str]) -> None:
        full = ["--db", str(self.db), *args]
        self._show_command(full)
        proc = self._run(full, capture=False)
        if proc.returncode != 0:
            raise DemoFailed(f"`gov-archive {shlex.join(full)}` exited with status "
                             f"{proc.returncode}")

    def _check(self, plan: PlannedChanges, server: DemoServer, since: datetime) -> None:
        """Fail loudly if the re-crawl did not see exactly the three changes."""
        with Archive(self.db, create=False) as archive:
            events = archive.events(since=since, kinds=["new", "changed", "gone"])
        seen = {(e["kind"], e["url"]) for e in events}
        expected = {("new", server.url(plan.new.path)), ("changed", server.url(plan.edited.path)),
                    ("gone", server.url(plan.withdrawn.path))}
        missing = expected - seen
        if missing:
            lines = "\n".join(f"  {kind}: {url}" for kind, url in sorted(missing))
            raise DemoFailed(f"the re-crawl did not report:\n{lines}")
        extra = seen - expected
        if extra:
            self.echo(click.style(f"  note: {len(extra)} other events were recorded", fg="yellow"))
        self.echo("  → the re-crawl found 1 new, 1 changed and 1 withdrawn announcement.")

    def _outro(self, seconds: float, edited_url: str) -> None:
        db = shlex.quote(str(self.db))
        self.echo("\n" + click.style(f"Done in {seconds:.1f} s.", bold=True)
                  + f" The archive stays at {self.db}. Try:")
        for cmd in (f"gov-archive --db {db} search 营商环境",
                    f"gov-archive --db {db} search 办理时限",
                    f"gov-archive --db {db} show {edited_url}",
                    f"gov-archive --db {db} attachment {edited_url} 1 -o sheet.xlsx",
                    f"gov-archive --db {db} history {edited_url}",
                    f"gov-archive --db {db} show {edited_url} --version 1",
                    f"gov-archive --db {db} changes --kind gone --json",
                    f"gov-archive --db {db} export --format csv",
                    f"gov-archive --db {db} stats",
                    f"gov-archive --db {db} sites --health"):
            self.echo(f"  {cmd}")
        self.echo(f"\nBrowse it in a web browser: gov-archive serve --db {db}"
                  "   (then open http://127.0.0.1:8001/)")

    def _serve_until_interrupted(self, server: DemoServer) -> None:
        self.echo(f"\nThe demo site stays up at {server.url('/')} (--keep); press Ctrl-C to stop.")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            self.echo("Stopped.")

    # -- helpers -------------------------------------------------------------------------
    def _heading(self, title: str) -> None:
        self.step += 1
        self.echo("\n" + click.style(f"── Step {self.step} · {title}", bold=True, fg="cyan"))

    def _show_command(self, args: list[str]) -> None:
        self.echo(click.style("$ gov-archive " + shlex.join(args), dim=True))

    def _count_events(self, kind: str) -> int:
        with Archive(self.db, create=False) as archive:
            return len(archive.events(kinds=[kind]))

    def _run(self, args: list[str], *, capture: bool) -> subprocess.CompletedProcess[str]:
        sys.stdout.flush()
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        env.pop("GOV_ARCHIVE_DB", None)
        try:
            return subprocess.run([sys.executable, "-m", "crawler", *args], env=env,
                                  capture_output=capture, text=True, encoding="utf-8",
                                  errors="replace", timeout=STEP_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as err:
            raise DemoFailed(f"`gov-archive {shlex.join(args)}` took longer than "
                             f"{STEP_TIMEOUT} s") from err


def _next_second() -> datetime:
    """Wait for the next whole second and return it: events after it belong to the re-crawl."""
    now = datetime.now(UTC)
    mark = now.replace(microsecond=0) + timedelta(seconds=1)
    time.sleep((mark - now).total_seconds())
    return mark
