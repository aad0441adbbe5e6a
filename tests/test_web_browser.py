"""The pages in a real headless Chromium: home, search, a document, its diff, on a phone too.

Screenshots of every step are kept in tests/artifacts/web/ (see helpers_browser).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_browser import artifacts, browser, chromium, live_server, screenshot  # noqa: F401
from helpers_web import NEW_SENTENCE, RECORDS, SITE_TITLE, build_archive, web_config
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from crawler.web import create_datasette

YELLOW_MARK = "rgba(255, 241, 168, 1)"


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


def test_pages_fit_a_phone(browser: WebDriver, site: tuple[str, dict[str, int]],  # noqa: F811
                           artifacts: Path) -> None:  # noqa: F811
    base, ids = site
    browser.set_window_size(390, 844)
    for name, path in (("home", "/"), ("document", f"/documents/{ids['edited']}"),
                       ("diff-side", f"/documents/{ids['edited']}/diff?view=side")):
        browser.get(base + path)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
        screenshot(browser, artifacts, f"6-phone-{name}")
        browser.set_window_size(390, 844)
    cells = browser.find_elements(By.CSS_SELECTOR, "table.side tr.change td")
    assert cells[0].location["y"] < cells[1].location["y"]  # before above after on a phone
