"""The web page in a real browser: headless Chromium driven by Selenium (Debian chromium and
chromium-driver, installed by .ci/run)."""

import os
import shutil

import pytest

pytest.importorskip("selenium")  # the test extra installs it; .ci/run installs the browser
pytest.importorskip("fastapi")

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tieng.server import create_app


@pytest.fixture(scope="module")
def page_url(serve):
    return serve(create_app()) + "/"


@pytest.fixture(scope="module")
def browser():
    driver_path = shutil.which("chromedriver")
    assert driver_path, "chromedriver not found: apt-get install chromium chromium-driver"
    opts = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=390,844",
    ):
        opts.add_argument(arg)
    browser_path = shutil.which("chromium")
    if browser_path:
        opts.binary_location = browser_path
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    # A phone-width screen.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True},
    )
    yield driver
    driver.quit()


def test_typing_a_sentence_shows_its_words(browser, page_url):
    browser.get(page_url)
    box = browser.find_element(By.ID, "text")
    box.clear()
    box.send_keys("Học sinh đi học ở Hà Nội.")
    box.send_keys(Keys.CONTROL, Keys.ENTER)  # keyboard only
    wait = WebDriverWait(browser, 20)
    wait.until(ec.text_to_be_present_in_element((By.ID, "segmented"), "Hà_Nội"))
    chips = browser.find_elements(By.CSS_SELECTOR, "#words li")
    words = [c.text.replace("_", " ") for c in chips]
    assert words == ["Học sinh", "đi", "học", "ở", "Hà Nội", "."]
    joined = browser.find_elements(By.CSS_SELECTOR, "#words li.multi")
    assert [c.text for c in joined] == ["Học_sinh", "Hà_Nội"]
    assert browser.find_element(By.ID, "segmented").text == "Học_sinh đi học ở Hà_Nội ."
    assert browser.find_element(By.ID, "copy").is_enabled()
    # Nothing wider than the phone screen.
    width, view = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert view == 360 and width <= view


def test_the_first_load_shows_the_example_s_words(browser, page_url):
    """The results area was empty until the first click: the example is segmented at once."""
    browser.get(page_url)
    wait = WebDriverWait(browser, 20)
    wait.until(ec.text_to_be_present_in_element((By.ID, "segmented"), "tàu_điện_ngầm"))
    assert browser.find_elements(By.CSS_SELECTOR, "#words li")


def test_the_form_is_reachable_with_the_tab_key(browser, page_url):
    browser.get(page_url)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "text"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "go"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.ID, "segmented"), "tàu_điện_ngầm")
    )


def test_api_docs_work_offline_from_the_package(browser, page_url):
    """/docs and /redoc come from installed packages' files: nothing from a CDN."""
    import re
    import urllib.request

    base = page_url.rstrip("/")
    for page in ("/docs", "/redoc"):
        html = urllib.request.urlopen(base + page, timeout=10).read().decode()
        assert not re.findall(r"https?://", html)  # every asset is a path on this server
    browser.get(base + "/redoc")
    WebDriverWait(browser, 30).until(
        ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "/v1/segment")
    )
    browser.get(base + "/docs")
    wait = WebDriverWait(browser, 30)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title")))
    assert "tieng" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock-summary-path")))
    paths = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")]
    assert "/v1/segment" in " ".join(paths)


@pytest.fixture(scope="module")
def small_page_url(serve):
    return serve(create_app(max_body=2000)) + "/"


def _segment(browser, text):
    box = browser.find_element(By.ID, "text")
    browser.execute_script("arguments[0].value = arguments[1];", box, text)
    browser.find_element(By.ID, "go").click()


def test_a_text_over_the_limit_clears_the_old_result_and_says_why(browser, small_page_url):
    browser.get(small_page_url)
    wait = WebDriverWait(browser, 20)
    _segment(browser, "Tôi yêu Hà Nội.")
    wait.until(ec.text_to_be_present_in_element((By.ID, "segmented"), "Hà_Nội"))
    _segment(browser, "Tôi yêu Hà Nội. " * 400)
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "quá dài"))
    status = browser.find_element(By.ID, "status")
    assert "text too long" in status.text and "error" in status.get_attribute("class")
    assert browser.find_element(By.ID, "segmented").text == ""
    assert browser.find_elements(By.CSS_SELECTOR, "#words li") == []
    assert not browser.find_element(By.ID, "copy").is_enabled()


def test_the_result_box_uses_a_font_that_places_tone_marks(browser, page_url, tmp_path):
    browser.get(page_url)
    _segment(browser, "Người dân Thủ đô đã quyết định như vậy.")
    WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.ID, "segmented"), "Thủ_đô")
    )
    body, box = browser.execute_script(
        "return [getComputedStyle(document.body).fontFamily,"
        " getComputedStyle(document.getElementById('segmented')).fontFamily]"
    )
    assert box == body and "monospace" not in box
    assert browser.find_element(By.ID, "segmented").screenshot(str(tmp_path / "result.png"))
    browser.save_screenshot(os.environ.get("TIENG_SCREENSHOT", str(tmp_path / "page.png")))


def test_unsure_words_are_marked_with_their_confidence(browser, page_url):
    browser.get(page_url)
    # "câu hỏi" is a word the treebank writes both ways: the model is unsure of it.
    _segment(browser, "Câu hỏi này nghĩa là gì?")
    WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.ID, "status"), "từ (words)")
    )
    chips = browser.find_elements(By.CSS_SELECTOR, "#words li")
    assert chips and all("confidence" in c.get_attribute("title") for c in chips)
    shown = [float(c.get_attribute("title").rsplit(" ", 1)[1]) for c in chips]  # 2 decimals
    marked = ["unsure" in c.get_attribute("class") for c in chips]
    assert any(marked)
    for score, mark in zip(shown, marked):
        assert mark if score < 0.795 else (not mark if score > 0.805 else True)


def test_the_model_choice_and_words_to_join(browser, page_url):
    browser.get(page_url)
    wait = WebDriverWait(browser, 20)
    Select(browser.find_element(By.ID, "model")).select_by_value("vlsp2013-unaccented")
    _segment(browser, "Toi yeu Ha Noi")
    wait.until(ec.text_to_be_present_in_element((By.ID, "segmented"), "Ha_Noi"))
    # The default picks the model for each text, and says so; a model asked for by name
    # gets a hint that points at the menu.
    Select(browser.find_element(By.ID, "model")).select_by_value("")
    _segment(browser, "Hom nay troi dep qua")
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "mô hình không dấu"))
    Select(browser.find_element(By.ID, "model")).select_by_value("vlsp2013")
    _segment(browser, "Hom nay troi dep qua")
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "chọn Mô hình → không dấu"))
    Select(browser.find_element(By.ID, "model")).select_by_value("")
    words = browser.find_element(By.ID, "words-to-join")
    words.send_keys("nội suy")
    _segment(browser, "Đây là phép nội suy.")
    wait.until(ec.text_to_be_present_in_element((By.ID, "segmented"), "nội_suy"))


def test_parts_of_speech_colour_the_words(browser, page_url):
    browser.get(page_url)
    legend = browser.find_element(By.ID, "legend")
    assert not legend.is_displayed()
    browser.find_element(By.ID, "tags").click()
    _segment(browser, "Học sinh đi học ở Hà Nội.")
    WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.ID, "segmented"), "Hà_Nội/Np")
    )
    chips = browser.find_elements(By.CSS_SELECTOR, "#words li")
    tags = [c.find_element(By.CSS_SELECTOR, ".tag").text for c in chips]
    assert tags[0] == "N" and tags[4] == "Np" and tags[-1] == "CH"
    assert "pos-noun" in chips[0].get_attribute("class")
    assert "pos-propn" in chips[4].get_attribute("class")
    assert "pos-punct" in chips[-1].get_attribute("class")
    assert legend.is_displayed()
    # Without tags again: plain chips, no legend.
    browser.find_element(By.ID, "tags").click()
    _segment(browser, "Trời mưa.")
    WebDriverWait(browser, 20).until(
        ec.text_to_be_present_in_element((By.ID, "segmented"), "Trời mưa .")
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "#words li .tag")
    assert not legend.is_displayed()


def test_text_typed_without_diacritics_shows_its_restored_line(browser, page_url):
    """Issue 41: the text restored above the words; the words keep the text as typed."""
    browser.get(page_url)
    box = browser.find_element(By.ID, "text")
    box.clear()
    box.send_keys("Thanh pho se dau tu xay dung tau dien ngam")
    box.send_keys(Keys.CONTROL, Keys.ENTER)
    wait = WebDriverWait(browser, 20)
    wait.until(ec.text_to_be_present_in_element((By.ID, "segmented"), "Thanh_pho"))
    restored = browser.find_element(By.ID, "restored")
    assert restored.is_displayed()
    assert browser.find_element(By.ID, "restored-text").text == (
        "Thành phố sẽ đầu tư xây dựng tàu điện ngầm"
    )
    chips = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#words li")]
    assert chips[0] == "Thanh_pho"
    # Text with its marks: nothing to show above the words.
    box.clear()
    box.send_keys("Hà Nội có nhiều hồ")
    box.send_keys(Keys.CONTROL, Keys.ENTER)
    wait.until(ec.text_to_be_present_in_element((By.ID, "segmented"), "Hà_Nội"))
    assert not browser.find_element(By.ID, "restored").is_displayed()


def test_the_dependency_tree_is_drawn_and_the_page_stays_narrow(browser, page_url):
    """Issue 42: with "Cú pháp" each sentence gets an SVG of its arcs, labelled with the
    relations, in a box that scrolls sideways on a phone instead of widening the page."""
    browser.get(page_url)
    box = browser.find_element(By.ID, "text")
    box.clear()
    box.send_keys("Tôi đọc sách. Trời mưa to vào buổi chiều hôm qua ở Hà Nội.")
    browser.find_element(By.ID, "parse").click()
    box.send_keys(Keys.CONTROL, Keys.ENTER)
    wait = WebDriverWait(browser, 20)
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#trees svg")) == 2)
    first = browser.find_elements(By.CSS_SELECTOR, "#trees svg")[0]
    words = [t.text for t in first.find_elements(By.CSS_SELECTOR, "text:not(.rel):not(.tag)")]
    assert words == ["Tôi", "đọc", "sách", "."]
    rels = [t.text for t in first.find_elements(By.CSS_SELECTOR, "text.rel")]
    assert sorted(rels) == sorted(["nsubj", "root", "obj", "punct"])
    width, view = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width <= view
    browser.find_element(By.ID, "parse").click()  # off again: no trees
    box.send_keys(Keys.CONTROL, Keys.ENTER)
    wait.until(lambda b: b.find_element(By.ID, "trees").get_attribute("hidden") is not None)
