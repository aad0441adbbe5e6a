"""The pages in a real headless Chromium: home, search, a document, its diff, on a phone too.

Screenshots of every step are kept in tests/artifacts/web/ (see helpers_browser).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_browser import artifacts, browser, chromium, live_server, screenshot  # noqa: F401
from helpers_web import (
    FAKE_PDF_NAME,
    FILES_RECORD,
    NEW_SENTENCE,
    RECORDS,
    SHEET_NAME,
    SHEET_V2,
    SITE_TITLE,
    build_archive,
    web_config,
)
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from crawler.web import create_datasette

YELLOW_MARK = "rgba(255, 241, 168, 1)"
FILES_TITLE = FILES_RECORD["title"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    path = tmp_path_factory.mktemp("browser") / "archive.db"
    ids = build_archive(path)
    with live_server(create_datasette(web_config(path)).app()) as url:
        yield url, ids


def texts(driver: WebDriver, css: str) -> list[str]:
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, css)]


def wait_for_path(driver: WebDriver, path: str) -> None:
    WebDriverWait(driver, 15).until(expected_conditions.url_contains(path))


def test_home_search_document_and_diff(browser: WebDriver, site: tuple[str, dict[str, int]],  # noqa: F811
                                       artifacts: Path) -> None:  # noqa: F811
    base, ids = site
    browser.set_window_size(1280, 1000)
    browser.get(base + "/")
    assert browser.title == "Latest changes · gov-archive"
    events = texts(browser, "ol.events li.event")
    assert events[0].split()[:2] == ["Restored", RECORDS["restored"]["title"]]
    assert any(e.startswith("Withdrawn") for e in events)
    assert SITE_TITLE in texts(browser, "table.sites")[0]
    assert "anti-bot pages" in texts(browser, "ul.problems")[0]
    screenshot(browser, artifacts, "1-home")

    box = browser.find_element(By.CSS_SELECTOR, "form.quick input[name=q]")
    box.send_keys("税")
    browser.find_element(By.CSS_SELECTOR, "form.quick button").click()
    wait_for_path(browser, "/search?q=")
    assert texts(browser, "p.count")[0].startswith("1 result")
    mark = browser.find_element(By.CSS_SELECTOR, "ol.hits .snippet mark")
    assert mark.text == "税" and mark.value_of_css_property("background-color") == YELLOW_MARK
    screenshot(browser, artifacts, "2-search-one-character")

    query = browser.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
    query.clear()
    query.send_keys("报送")
    browser.find_element(By.CSS_SELECTOR, "form.search button").click()
    WebDriverWait(browser, 15).until(lambda d: "报送" in d.title)
    browser.find_element(By.LINK_TEXT, RECORDS["edited"]["title"]).click()
    wait_for_path(browser, f"/documents/{ids['edited']}")
    assert browser.find_element(By.TAG_NAME, "h1").text == RECORDS["edited"]["title"]
    assert "索引号" in texts(browser, "section.metadata")[0]
    assert NEW_SENTENCE in texts(browser, "section.body")[0]
    assert "附件：报送表" in texts(browser, "section.attachments")[0]
    screenshot(browser, artifacts, "3-document")

    browser.find_element(By.LINK_TEXT, "diff with 1").click()
    wait_for_path(browser, "/diff")
    removed = browser.find_element(By.CSS_SELECTOR, ".inline p.change.old del")
    added = browser.find_element(By.CSS_SELECTOR, ".inline p.change.new ins")
    assert (removed.text, added.text) == ("5", "12")
    assert removed.value_of_css_property("text-decoration-line") == "line-through"
    screenshot(browser, artifacts, "4-diff-inline")

    browser.find_element(By.CSS_SELECTOR, "input[name=view][value=side]").click()
    browser.find_element(By.CSS_SELECTOR, "form.versions-picker button").click()
    wait_for_path(browser, "view=side")
    old, new = browser.find_elements(By.CSS_SELECTOR, "table.side tr.change td")
    assert old.location["y"] == new.location["y"] and old.location["x"] < new.location["x"]
    screenshot(browser, artifacts, "5-diff-side-by-side")


def test_attachment_files_download_and_diff(browser: WebDriver, site: tuple[str, dict[str, int]],  # noqa: F811
                                           artifacts: Path) -> None:  # noqa: F811
    base, ids = site
    browser.set_window_size(1280, 1000)
    browser.get(f"{base}/documents/{ids['files']}")
    items = texts(browser, "section.attachments li")
    assert items[0].startswith(f"{SHEET_NAME} XLSX, {len(SHEET_V2)} bytes")
    assert "HTML" in items[1] and "not archived: HTTP 404" in items[2]
    copy = browser.find_element(By.XPATH, "//dt[text()='Archived copy']/following-sibling::dd")
    assert "unchanged since version 1" in copy.text
    screenshot(browser, artifacts, "7-document-attachments")

    page = browser.current_url
    fake = browser.find_element(By.LINK_TEXT, FAKE_PDF_NAME)  # HTML with a script, named .pdf
    assert fake.get_attribute("href").endswith(f"/documents/{ids['files']}/attachments/2")
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "deny"})  # no file left
    browser.get(fake.get_attribute("href"))  # a download: the page stays, the script never runs
    assert browser.current_url == page
    assert browser.execute_script("return document.title").startswith(FILES_TITLE)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018

    browser.get(f"{base}/documents/{ids['files']}/diff")
    heading = browser.find_element(By.CSS_SELECTOR, "section.file-changes h3")
    assert heading.text == SHEET_NAME
    removed = browser.find_element(By.CSS_SELECTOR, "section.file-changes .inline p.change.old del")
    added = browser.find_element(By.CSS_SELECTOR, "section.file-changes .inline p.change.new ins")
    assert (removed.text, added.text) == ("15", "22")
    assert removed.value_of_css_property("text-decoration-line") == "line-through"
    screenshot(browser, artifacts, "8-diff-attachment-file")


def test_pages_fit_a_phone(browser: WebDriver, site: tuple[str, dict[str, int]],  # noqa: F811
                           artifacts: Path) -> None:  # noqa: F811
    base, ids = site
    browser.set_window_size(390, 844)
    for name, path in (("home", "/"), ("document", f"/documents/{ids['edited']}"),
                       ("attachments", f"/documents/{ids['files']}"),
                       ("file-diff-side", f"/documents/{ids['files']}/diff?view=side"),
                       ("diff-side", f"/documents/{ids['edited']}/diff?view=side")):
        browser.get(base + path)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
        screenshot(browser, artifacts, f"6-phone-{name}")
        browser.set_window_size(390, 844)
    cells = browser.find_elements(By.CSS_SELECTOR, "table.side tr.change td")
    assert cells[0].location["y"] < cells[1].location["y"]  # before above after on a phone
