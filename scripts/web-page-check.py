#!/usr/bin/env python3
"""Drives momd's web page in headless Chromium (Selenium) against a live daemon.

    web-page-check.py --url http://127.0.0.1:PORT --prose fixtures/prose/devils-dictionary.txt
        (a daemon started with --snapshot-tokens 4096, so the upload leaves snapshots to ask at)
    web-page-check.py --url http://127.0.0.1:PORT --key KEY      # a daemon with --api-key-file

The first form runs every flow of issue 31: load the page, create a document, upload a file in
chunks with progress (interrupted, then resumed), ask (the answer, its confidence, its evidence), an abstention said plainly,
the routing chart with one series per memory, ask at a snapshot, a document holding markup shown
as text, the keyboard alone, 375 px wide, delete with confirmation, and no console errors. The
second checks that the page asks for the key on a 401 and keeps it for the tab. The last line of
stdout is a JSON object of measurements (first render, page weight); the exit status is 0 when
every check passed, 1 otherwise, with each failure on stderr.

Tests/momdTests/WebPageBrowserTests.swift runs it; scripts/setup.sh installs Chromium, chromedriver and
Selenium (into .build/tools/selenium).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

FACTS = "\nMaria was born in Lisbon in 1984. The garage door code is 4711. The train to Porto leaves at 7:45 every morning.\n"
HOSTILE = (
    'The secret tag is <script>window.__pwned = 1</script> and the banner is <img src=x onerror="window.__pwned = 2"> '
    "next to <b>bold</b> words.\nThe vault code is 5521.\n"
)


class Check:
    """Collects failures instead of stopping at the first, so one run names them all."""

    def __init__(self):
        self.failures = []

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)
            print(f"FAIL: {message}", file=sys.stderr)
        return condition


def browser(width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in [
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-extensions",
        "--no-first-run", "--disable-background-networking", f"--window-size={width},{height}",
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def wait(driver, condition, message, timeout=30):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition(d))
    except TimeoutException:
        raise AssertionError(f"timed out: {message}") from None


def by_id(driver, name):
    return driver.find_element(By.ID, name)


def text(driver, name):
    # The page redraws what it shows: an element found may be replaced before it is read.
    for _ in range(5):
        try:
            return by_id(driver, name).text
        except StaleElementReferenceException:
            time.sleep(0.05)
    return by_id(driver, name).text


def visible(driver, name):
    for _ in range(5):
        try:
            elements = driver.find_elements(By.ID, name)
            return bool(elements) and elements[0].is_displayed()
        except StaleElementReferenceException:
            time.sleep(0.05)
    return False


def ready(driver):
    wait(driver, lambda d: d.execute_script("return document.body.dataset.ready") == "true", "the page to load its documents")


def timings(driver):
    """Navigation and paint timing of the page as loaded, and the bytes of its own files."""
    return driver.execute_script(
        """
        const nav = performance.getEntriesByType('navigation')[0];
        const paint = Object.fromEntries(performance.getEntriesByType('paint').map(p => [p.name, p.startTime]));
        const shown = performance.getEntriesByName('momd-documents-shown')[0];
        const files = performance.getEntriesByType('resource')
          .filter(r => /\\/app\\.(js|css)$/.test(new URL(r.name).pathname))
          .map(r => ({name: new URL(r.name).pathname, bytes: r.decodedBodySize}));
        return {
          response_end_ms: nav.responseEnd, dom_content_loaded_ms: nav.domContentLoadedEventEnd,
          load_event_ms: nav.loadEventEnd, first_paint_ms: paint['first-paint'] ?? null,
          first_contentful_paint_ms: paint['first-contentful-paint'] ?? null,
          documents_shown_ms: shown ? shown.startTime : null,
          html_bytes: nav.decodedBodySize, files: files,
        };
        """
    )


def submit_text(driver, field, value):
    element = by_id(driver, field)
    element.clear()
    element.send_keys(value)
    element.send_keys(Keys.ENTER)


def ask(driver, question):
    """Asks and returns once a new answer (or abstention) is shown."""
    driver.execute_script("document.getElementById('answer').hidden = true")
    submit_text(driver, "ask-question", question)
    wait(driver, lambda d: visible(d, "answer"), f"an answer to {question!r}")


def wait_shown(driver, name):
    """Waits until `name`'s view is drawn (its report, routing and snapshots), so that nothing
    moves under the next click."""
    wait(driver, lambda d: d.execute_script("return document.getElementById('document').dataset.shown") == name
         and visible(d, "document"), f"{name}'s view")


def open_document(driver, name):
    driver.find_element(By.CSS_SELECTOR, f'#document-list li[data-name="{name}"] a').click()
    wait_shown(driver, name)


def create_document(driver, name):
    submit_text(driver, "create-name", name)
    wait(driver, lambda d: d.execute_script("return location.hash") == f"#doc={name}", f"{name} to open")
    wait_shown(driver, name)


def wait_upload(driver, before):
    """Waits until the upload that replaced the status `before` is done."""
    try:
        WebDriverWait(driver, 120, poll_frequency=0.05).until(
            lambda d: d.execute_script("return document.getElementById('upload-text').textContent") != before
            and text(d, "upload-text").endswith("done."))
    except TimeoutException:
        state = driver.execute_script(
            "const $ = (id) => document.getElementById(id); return {status: $('upload-text').textContent, "
            "hidden: $('upload-status').hidden, notice: $('notice').textContent, title: $('document-title').textContent, "
            "paste: $('paste-text').value.length, file: $('upload-file').files.length, hash: location.hash, "
            "disabled: [...document.querySelectorAll('#paste-form button, #upload-form button')].map(b => b.disabled)}")
        raise AssertionError(f"timed out: the upload to finish: {state}") from None


def start_upload(driver, form):
    """Submits an upload form; returns the status it replaces."""
    before = driver.execute_script("return document.getElementById('upload-text').textContent")
    by_id(driver, form).find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    return before


def press_tab_until(driver, element_id, limit=120):
    """Moves focus with Tab alone until `element_id` has it; False if it never does."""
    for _ in range(limit):
        if driver.execute_script("return document.activeElement && document.activeElement.id") == element_id:
            return True
        keys(driver, Keys.TAB)
    return False


def keys(driver, *sequence):
    """Types into whatever has the focus, as a person at the keyboard does."""
    ActionChains(driver).send_keys(*sequence).perform()


def api_documents(driver):
    return driver.execute_script(
        """
        const key = sessionStorage.getItem('momd-api-key');
        const response = await fetch('/v1/docs', {headers: key ? {Authorization: 'Bearer ' + key} : {}});
        return (await response.json()).documents.map(d => d.name);
        """
    )


def console_errors(driver, allowed=()):
    entries = driver.get_log("browser")
    return [e for e in entries if e["level"] in ("SEVERE", "WARNING") and not any(a in e["message"] for a in allowed)]


def full_screenshot(driver, path, width):
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 3000)")
    driver.set_window_size(width, max(height, 600))
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    time.sleep(0.3)
    driver.save_screenshot(path)


def run_flows(args, check, results):
    prose = open(args.prose, "rb").read()
    # About 300 KB of prose (two ingest requests of 256 KiB) with the facts at its end.
    body = prose[: prose.rfind(b"\n", 0, 300_000) + 1] + FACTS.encode()
    fixture = os.path.join(tempfile.mkdtemp(prefix="momd-web-"), "notes.txt")
    with open(fixture, "wb") as handle:
        handle.write(body)

    driver = browser(1280, 900)
    try:
        # First render, three fresh navigations (the first with nothing cached).
        loads = []
        for _ in range(3):
            driver.get(args.url + "/")
            ready(driver)
            loads.append(timings(driver))
        first = loads[0]
        render = [load["first_contentful_paint_ms"] or load["dom_content_loaded_ms"] for load in loads]
        results["first_render_ms"] = round(render[0], 1)
        results["first_render_median_ms"] = round(statistics.median(render), 1)
        results["first_render_all_ms"] = [round(value, 1) for value in render]
        results["dom_content_loaded_ms"] = round(first["dom_content_loaded_ms"], 1)
        results["load_event_ms"] = round(first["load_event_ms"], 1)
        results["documents_shown_ms"] = first["documents_shown_ms"] and round(first["documents_shown_ms"], 1)
        weight = first["html_bytes"] + sum(f["bytes"] for f in first["files"])
        results["page_bytes"] = weight
        results["page_files"] = {"/": first["html_bytes"], **{f["name"]: f["bytes"] for f in first["files"]}}
        check.expect(len(first["files"]) == 2, f"the page loads /app.js and /app.css: {first['files']}")
        check.expect(weight <= args.max_page_bytes, f"page weight {weight} bytes > {args.max_page_bytes}")
        check.expect(statistics.median(render) <= args.max_first_render_ms,
                     f"first render {render} ms: median above {args.max_first_render_ms} ms")
        headers = driver.execute_script(
            "const r = await fetch('/'); return [r.headers.get('content-security-policy'), r.headers.get('x-content-type-options')]")
        check.expect(headers[0] and "script-src 'self'" in headers[0] and "unsafe-inline" not in headers[0], f"CSP: {headers[0]}")
        check.expect(headers[1] == "nosniff", f"X-Content-Type-Options: {headers[1]}")

        # Create, then upload a file in chunks with progress.
        # The second request fails (the browser blocks it) until the upload stops and offers to
        # resume; resumed, it goes on from the offset the daemon acknowledged.
        create_document(driver, "web-notes")
        by_id(driver, "upload-file").send_keys(fixture)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/v1/docs/web-notes/ingest?offset=262144*"]})
        start_upload(driver, "upload-form")
        wait(driver, lambda d: visible(d, "upload-resume-button"), "the upload to stop at the blocked request")
        stopped = text(driver, "upload-text")
        check.expect(f"stopped at 262,144 of {len(body):,} bytes" in stopped, f"the interrupted upload: {stopped!r}")
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        blocked = [e for e in driver.get_log("browser") if "ERR_BLOCKED_BY_CLIENT" not in e["message"]]
        check.expect(not [e for e in blocked if e["level"] == "SEVERE"], f"console errors besides the blocked requests: {blocked}")
        before = driver.execute_script("return document.getElementById('upload-text').textContent")
        by_id(driver, "upload-resume-button").click()
        wait_upload(driver, before)
        upload = text(driver, "upload-text")
        check.expect(f"{len(body):,} of {len(body):,} bytes (100%)" in upload, f"upload progress: {upload!r}")
        check.expect("2 requests" in upload, f"the file went in two chunks: {upload!r}")
        progress = driver.execute_script("const p = document.getElementById('upload-progress'); return [p.value, p.max]")
        check.expect(progress[0] == progress[1] == len(body), f"progress bar {progress}")
        item = driver.find_element(By.CSS_SELECTOR, '#document-list li[data-name="web-notes"]')
        check.expect(f"{len(body):,}" in item.text, f"the list shows the bytes: {item.text!r}")
        meter = item.find_elements(By.TAG_NAME, "meter")
        check.expect(len(meter) == 1 and float(meter[0].get_attribute("value")) > 0, "the list shows the fill against the reach")
        check.expect("Fill:" in item.text and "32,768 tokens" in item.text, f"fill against the 4 MiB reach: {item.text!r}")

        # Resume: a document holding the file's first 100 KB (an upload cut off there)
        # gets the rest, and ends bit for bit where the uninterrupted upload did.
        create_document(driver, "resumed")
        driver.execute_script(
            "const [body] = arguments; await fetch('/v1/docs/resumed/ingest?offset=0', "
            "{method: 'POST', headers: {'Content-Type': 'application/octet-stream'}, body: new TextEncoder().encode(body)})",
            body[: body.rfind(b"\n", 0, 100_000) + 1].decode())
        by_id(driver, "upload-file").send_keys(fixture)
        by_id(driver, "upload-resume").click()
        wait_upload(driver, start_upload(driver, "upload-form"))
        upload = text(driver, "upload-text")
        check.expect(f"{len(body):,} of {len(body):,} bytes (100%), 1 request" in upload, f"resumed upload: {upload!r}")
        digests = driver.execute_script(
            "const get = async (d) => (await (await fetch('/v1/docs/' + d)).json()); "
            "const [a, b] = [await get('web-notes'), await get('resumed')]; return [a.digest, b.digest, a.bytes, b.bytes]")
        check.expect(digests[0] == digests[1] and digests[2] == digests[3] == len(body), f"the resumed document equals the other: {digests}")
        driver.execute_script("await fetch('/v1/docs/resumed', {method: 'DELETE'})")
        driver.get(args.url + "/#doc=web-notes")  # the same page: a change of fragment alone
        driver.refresh()
        ready(driver)
        wait_shown(driver, "web-notes")

        # Ask: the answer, its confidence and its evidence.
        ask(driver, "What is the garage door code?")
        check.expect(visible(driver, "answer-text") and text(driver, "answer-text") == "4711", f"answer: {text(driver, 'answer')!r}")
        check.expect("confidence" in text(driver, "answer"), "the confidence is shown")
        passages = driver.find_elements(By.CSS_SELECTOR, "#evidence-list li")
        check.expect(visible(driver, "evidence") and len(passages) >= 1, "evidence passages are shown")
        check.expect(any("4711" in p.text for p in passages), f"a passage holds the answer: {[p.text for p in passages]}")
        check.expect(all("support" in p.text and "sureness" in p.text for p in passages), "each passage shows support and sureness")

        # An abstention, said plainly.
        ask(driver, "What is the password for the bank account?")
        check.expect(visible(driver, "abstention") and text(driver, "abstention").startswith("No answer"),
                     f"abstention: {text(driver, 'answer')!r}")

        # The routing chart: one series per memory.
        memories = driver.execute_script(
            "const r = await fetch('/v1/docs/web-notes'); return (await r.json()).memory_load.length")
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#routing-chart svg polyline.series")) > 0, "the routing chart")
        series = driver.find_elements(By.CSS_SELECTOR, "#routing-chart svg polyline.series")
        check.expect(len(series) == memories == 16, f"{len(series)} series for {memories} memories")
        check.expect(all(len(s.get_attribute("points").split()) >= 2 for s in series), "every series has points")
        labels = {s.get_attribute("data-memory") for s in series}
        check.expect(labels == {str(m) for m in range(memories)}, f"series per memory: {sorted(labels)}")
        legend = driver.find_elements(By.CSS_SELECTOR, "#routing-legend button")
        check.expect(len(legend) == memories, "a legend entry per memory")
        legend[3].click()
        check.expect(driver.find_element(By.CSS_SELECTOR, '#routing-chart polyline[data-memory="3"]').get_attribute("class").endswith(" on"),
                     "a legend button brings its series forward")
        legend[3].click()

        results["desktop_overflow_px"] = driver.execute_script("return document.documentElement.scrollWidth - innerWidth")
        if args.screenshots:
            ask(driver, "What is the garage door code?")
            full_screenshot(driver, os.path.join(args.screenshots, "web-page.png"), 1280)
            driver.set_window_size(1280, 900)

        # Snapshots: a timeline, and ask at one.
        snapshots = driver.find_elements(By.CSS_SELECTOR, "#snapshot-list li")
        check.expect(len(snapshots) >= 1, "the snapshots are listed")
        dots = driver.find_elements(By.CSS_SELECTOR, "#snapshot-timeline svg circle[data-at]")
        check.expect(len(dots) == len(snapshots), "a timeline mark per snapshot")
        if snapshots:
            at = snapshots[0].get_attribute("data-at")
            snapshots[0].find_element(By.TAG_NAME, "button").click()
            check.expect(driver.execute_script("return document.activeElement.id") == "ask-question", "ask at snapshot focuses the question")
            ask(driver, "What is the garage door code?")
            shown = text(driver, "answer")
            check.expect(f"the snapshot at token {int(at):,}" in shown, f"answered from the snapshot at {at}: {shown!r}")
            by_id(driver, "ask-at").send_keys(Keys.HOME)
            driver.execute_script("const s = document.getElementById('ask-at'); s.value = ''; s.dispatchEvent(new Event('change'))")

        # A document holding markup: shown as text, never run.
        create_document(driver, "markup")
        by_id(driver, "paste-text").send_keys(HOSTILE)
        wait_upload(driver, start_upload(driver, "paste-form"))
        ask(driver, "What is the secret tag?")
        shown = text(driver, "answer") + "\n" + (text(driver, "evidence") if visible(driver, "evidence") else "")
        results["markup_shown"] = shown
        check.expect("<script>" in shown or "<img" in shown or "<b>" in shown, f"the markup is shown as text: {shown!r}")
        injected = driver.execute_script(
            "return document.querySelectorAll('#answer script, #answer img, #answer b, #evidence script, #evidence img, #evidence b').length")
        check.expect(injected == 0, f"{injected} elements made from the document's markup")
        check.expect(driver.execute_script("return window.__pwned === undefined"), "the document's script ran")

        # The keyboard alone: ask, then delete with confirmation.
        driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        driver.find_element(By.TAG_NAME, "body").click()
        check.expect(press_tab_until(driver, "ask-question"), "Tab reaches the question")
        driver.execute_script("document.getElementById('answer').hidden = true")
        ActionChains(driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
        keys(driver, "What is the vault code?", Keys.ENTER)
        wait(driver, lambda d: visible(d, "answer"), "an answer asked by keyboard")
        check.expect(visible(driver, "answer-text") and text(driver, "answer-text") == "5521", f"keyboard ask: {text(driver, 'answer')!r}")
        check.expect(press_tab_until(driver, "delete-button"), "Tab reaches Delete")
        keys(driver, Keys.ENTER)
        wait(driver, lambda d: d.execute_script("return document.getElementById('delete-dialog').open"), "the confirmation")
        check.expect(driver.execute_script("return document.activeElement.id") == "delete-cancel", "the confirmation focuses Cancel")
        keys(driver, Keys.TAB)
        check.expect(driver.execute_script("return document.activeElement.id") == "delete-confirm", "Tab moves to Delete in the dialog")
        keys(driver, Keys.ENTER)
        wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, '#document-list li[data-name="markup"]'), "markup to go")
        check.expect("markup" not in api_documents(driver), "the daemon no longer holds markup")

        # 375 px wide: nothing wider than the screen.
        open_document(driver, "web-notes")
        driver.set_window_size(375, 812)
        time.sleep(0.3)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        results["narrow_overflow_px"] = overflow
        check.expect(overflow <= 0, f"the page is {overflow} px wider than 375 px")
        ask(driver, "Where was Maria born?")
        check.expect(visible(driver, "answer-text") and text(driver, "answer-text") == "Lisbon", f"narrow ask: {text(driver, 'answer')!r}")
        if args.screenshots:
            full_screenshot(driver, os.path.join(args.screenshots, "web-page-375.png"), 375)
        driver.set_window_size(1280, 900)

        # Delete with confirmation: Cancel keeps it, Delete removes it.
        by_id(driver, "delete-button").click()
        check.expect("Delete web-notes?" in text(driver, "delete-title"), "the confirmation names the document")
        by_id(driver, "delete-cancel").click()
        check.expect("web-notes" in api_documents(driver), "Cancel kept the document")
        by_id(driver, "delete-button").click()
        by_id(driver, "delete-confirm").click()
        wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, '#document-list li[data-name="web-notes"]'), "web-notes to go")
        check.expect("web-notes" not in api_documents(driver), "the daemon no longer holds web-notes")
        check.expect(not visible(driver, "document"), "the document view closes")

        errors = console_errors(driver)
        results["console_errors"] = len(errors)
        check.expect(not errors, f"console errors: {errors}")
    finally:
        driver.quit()


def run_keyed(args, check, results):
    driver = browser(1280, 900)
    try:
        driver.get(args.url + "/")
        wait(driver, lambda d: d.execute_script("return document.getElementById('key-dialog').open"), "the page to ask for a key")
        check.expect("API key" in text(driver, "key-message"), f"the daemon's reason is shown: {text(driver, 'key-message')!r}")
        submit_text(driver, "key-input", "not-" + args.key)
        wait(driver, lambda d: "not one of this daemon's keys" in text(d, "key-message"), "a wrong key to be refused")
        submit_text(driver, "key-input", args.key)
        ready(driver)
        check.expect(not driver.execute_script("return document.getElementById('key-dialog').open"), "the dialog closes")
        check.expect(driver.execute_script("return sessionStorage.getItem('momd-api-key')") == args.key, "the key is kept for the tab")
        create_document(driver, "keyed")
        by_id(driver, "paste-text").send_keys("The garage door code is 4711.\n")
        wait_upload(driver, start_upload(driver, "paste-form"))
        # A reload in the same tab sends the kept key without asking.
        driver.refresh()
        ready(driver)
        check.expect(not driver.execute_script("return document.getElementById('key-dialog').open"), "no key asked after a reload")
        open_document(driver, "keyed")
        ask(driver, "What is the garage door code?")
        check.expect(visible(driver, "answer-text") and text(driver, "answer-text") == "4711", f"keyed ask: {text(driver, 'answer')!r}")
        by_id(driver, "delete-button").click()
        by_id(driver, "delete-confirm").click()
        wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, '#document-list li[data-name="keyed"]'), "keyed to go")
        # The refused requests show in the console as network errors; nothing else may.
        errors = console_errors(driver, allowed=("401 (Unauthorized)",))
        results["console_errors"] = len(errors)
        check.expect(not errors, f"console errors: {errors}")
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the daemon, http://127.0.0.1:PORT")
    parser.add_argument("--prose", help="a prose file: about 300 KB of it is uploaded")
    parser.add_argument("--key", help="the daemon's API key: check the key flow instead")
    parser.add_argument("--screenshots", help="a directory for web-page.png and web-page-375.png")
    parser.add_argument("--max-first-render-ms", type=float, default=300)
    parser.add_argument("--max-page-bytes", type=int, default=150_000)
    args = parser.parse_args()
    check = Check()
    results = {}
    try:
        if args.key:
            run_keyed(args, check, results)
        else:
            if not args.prose:
                parser.error("--prose is needed without --key")
            run_flows(args, check, results)
    except AssertionError as error:
        check.expect(False, str(error))
    except Exception as error:  # a browser or driver failure: reported like any other
        check.expect(False, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    results["failures"] = check.failures
    print(json.dumps(results))
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
