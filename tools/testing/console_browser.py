#!/usr/bin/env python3
"""The web console in a real browser: headless Chromium driven by Selenium (chromium and
chromium-driver from Debian; selenium from Debian's python3-selenium or PyPI).

Written from docs/GATEWAY.md §14, not from the Swift code. Against a running gateway
(`yibao serve --test-clock`) it:
  1. makes a refusal of its own — a signed FSI 1101 whose input is changed after signing, sent by
     the independent client tools/testing/platform_client.py — and remembers its msgid;
  2. opens /console, is shown the sign-in page, signs in with the admin token;
  3. follows the institution's link from the overview and finds its refusal there, with its
     code FSI_SIGNATURE_INVALID, its rule and at least one diagnosis line;
  4. presses "Verify the whole chain" on the trace page and is told the trace is intact;
  5. advances the test clock by a day with the overview's form and sees the time move;
  6. at a phone's width (375 px) the institution page has no horizontal scroll.
Prints one line per step; exit 0 when every step held, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import platform_client  # noqa: E402  (the independent FSI/HSE client)
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service as ChromeDriverService  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def browser(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(argument)
    binary = os.environ.get("CHROMIUM_BINARY") or next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)), None)
    if binary:
        options.binary_location = binary
    service = ChromeDriverService(executable_path=os.environ.get("CHROMEDRIVER") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


def navigate(driver, element) -> None:
    """Clicks `element` (a link or a form's button) and waits for the next page to replace this one (up to a
    minute: the suite runs this beside many other tests on two cores, and headless Chromium is slow then)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 60).until(expected_conditions.staleness_of(page))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", required=True, help="base URL of a gateway started with --test-clock")
    parser.add_argument("--credentials", default=os.path.join(REPO, "certs", "demo-credentials.json"))
    parser.add_argument("--institution", default="H12010100001")
    args = parser.parse_args(argv)
    base = args.gateway.rstrip("/")
    with open(args.credentials, encoding="utf-8") as handle:
        credentials = json.load(handle)
    admin_token = credentials["adminToken"]

    failures: list[str] = []

    def check(ok: bool, step: str, detail: str = "") -> None:
        print(("ok   " if ok else "FAIL ") + step + (f" — {detail}" if detail and not ok else ""))
        if not ok:
            failures.append(step)

    # 1. A refusal of our own: 1101 with its input changed after signing.
    hospital = platform_client.Hospital(base, credentials, args.institution)
    msgid = None
    try:
        hospital.fsi("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "120101199001011234", "psn_cert_type": "01"}}, tamper=True)
        check(False, "the tampered request is refused", "the gateway accepted it")
    except platform_client.Refused:
        msgid = hospital.last_msgid
        check(True, "the tampered request is refused")

    driver = browser()
    try:
        # 2. Sign in.
        driver.get(base + "/console")
        check(len(driver.find_elements(By.ID, "token")) == 1, "/console shows the sign-in form")
        driver.find_element(By.ID, "token").send_keys("wrong")
        navigate(driver, driver.find_element(By.ID, "sign-in"))
        check("That is not the admin token" in driver.find_element(By.ID, "error").text, "a wrong token is refused on the page")
        driver.find_element(By.ID, "token").send_keys(admin_token)
        navigate(driver, driver.find_element(By.ID, "sign-in"))
        check(driver.find_element(By.TAG_NAME, "h1").text == "Overview", "the admin token signs in", driver.page_source[:300])

        # 3. The institution's page shows our refusal with its code, rule and diagnosis.
        navigate(driver, driver.find_element(By.LINK_TEXT, args.institution))
        rows = [row for row in driver.find_elements(By.CSS_SELECTOR, "tr.check") if msgid and msgid in row.text]
        check(len(rows) == 1, "the refusal made by this test is listed", f"msgid {msgid}")
        if rows:
            row = rows[0]
            check("FSI_SIGNATURE_INVALID" in row.text, "it shows the code FSI_SIGNATURE_INVALID", row.text[:300])
            check("rule PROTOCOL-" in row.text, "it names the rule", row.text[:300])
            diagnosis = [line.text for line in row.find_elements(By.CSS_SELECTOR, "pre.diagnosis") if line.text.strip()]
            check(len(diagnosis) >= 1, "it shows the diagnosis", row.text[:300])
            check(admin_token not in driver.page_source, "the page never shows the admin token")

        # 4. The trace's verify button.
        navigate(driver, driver.find_element(By.LINK_TEXT, "Trace"))
        navigate(driver, driver.find_element(By.ID, "verify"))
        verdict = driver.find_element(By.CSS_SELECTOR, "#verification h2").text
        check(verdict == "The trace is intact", "Verify the whole chain says the trace is intact", verdict)

        # 5. The clock's advance button.
        navigate(driver, driver.find_element(By.LINK_TEXT, "Overview"))
        before = datetime.fromisoformat(driver.find_element(By.ID, "now").text)
        field = driver.find_element(By.ID, "seconds")
        field.clear()
        field.send_keys("86400")
        navigate(driver, driver.find_element(By.ID, "advance"))
        after = datetime.fromisoformat(driver.find_element(By.ID, "now").text)
        moved = (after - before).total_seconds()
        check(86_400 <= moved < 86_400 + 600, "Advance moves the test clock by a day", f"moved {moved} s")
    finally:
        driver.quit()

    # 6. A phone's width: nothing wider than the screen.
    narrow = browser(375, 800)
    try:
        narrow.get(base + "/console")
        narrow.find_element(By.ID, "token").send_keys(admin_token)
        navigate(narrow, narrow.find_element(By.ID, "sign-in"))
        narrow.get(base + f"/console/institutions/{args.institution}")
        scroll = narrow.execute_script("return document.documentElement.scrollWidth")
        viewport = narrow.execute_script("return window.innerWidth")
        check(scroll <= viewport, "the institution page fits a 375 px screen", f"scrollWidth {scroll} > {viewport}")
    finally:
        narrow.quit()

    print("console: %d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
