"""The screenshots in docs/, taken in headless chromium from the run in reports/: ``make screenshots``
(``python -m elm screenshots``, from the project's root, after ``dvc repro``).

  docs/report.png        the top of reports/index.html in a 1100 x 1400 window: what a reader of the run sees first
  docs/judge.png         the judge app (``python -m stages.judge``, run in a scratch folder on a free loopback port,
                         so nothing reaches data/human/) at phone width, showing a reader named "alice" the first
                         post of classify's test split (reports/classify/predictions.csv) in that reader's order
  docs/screenshots.json  per screenshot, the sha256 of the file it was taken from, so that a test can tell when
                         the committed screenshots no longer show the committed run

Needs Debian's chromium and chromium-driver, and Selenium (the dev extra: ``make setup-dev``).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from elm import io, paths
from elm.browser import CHROMEDRIVER, CHROMIUM, INSTALL, NO_NETWORK, chromium_flags, fresh_profile, webdriver
from elm.errors import ElmError

REPORT_SHOT = Path("docs/report.png")
JUDGE_SHOT = Path("docs/judge.png")
RECORD = Path("docs/screenshots.json")
SOURCES = {REPORT_SHOT: paths.REPORT_PAGE, JUDGE_SHOT: paths.PREDICTIONS}  # each screenshot: what it shows
REPORT_WINDOW = (1100, 1400)
JUDGE_WINDOW = (412, 915)  # a phone
READER = "alice"
CODE_ROOT = Path(__file__).resolve().parents[1]  # where `stages` is, for the judge's process
STARTUP_S = 60


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record() -> dict[str, dict[str, str]]:
    """docs/screenshots.json's content: per screenshot, the file it shows and that file's sha256."""
    return {str(shot): {str(source): sha256(source)} for shot, source in SOURCES.items()}


def require_inputs() -> None:
    """An error naming what is missing: the browser, its driver, or the run's files."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        raise ElmError(f"screenshots: Debian's chromium and chromium-driver are needed; {INSTALL}")
    for source in SOURCES.values():
        if not source.is_file():
            raise ElmError(f"screenshots: {source} not found; run `dvc repro` first, from the project's root")


def shoot_report(scratch: Path) -> bytes:
    """reports/index.html's top as chromium draws it in a REPORT_WINDOW window, as PNG bytes."""
    shot = scratch / "report.png"
    done = subprocess.run([CHROMIUM, *chromium_flags(fresh_profile(scratch)), *NO_NETWORK, "--hide-scrollbars",
                           f"--window-size={REPORT_WINDOW[0]},{REPORT_WINDOW[1]}", f"--screenshot={shot}",
                           paths.REPORT_PAGE.resolve().as_uri()], capture_output=True, text=True, timeout=180)
    if done.returncode != 0 or not shot.is_file():
        raise ElmError(f"screenshots: chromium could not take {REPORT_SHOT} ({done.returncode}): "
                       f"{done.stderr.strip()[-500:]}")
    return shot.read_bytes()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_judge(scratch: Path) -> tuple[subprocess.Popen, str]:
    """`python -m stages.judge` on a free loopback port, in a scratch copy of what it reads (params.yaml and
    reports/classify/predictions.csv), so its answers file is the scratch's; the process and its URL once it
    listens."""
    project = scratch / "judge"
    (project / paths.PREDICTIONS).parent.mkdir(parents=True)
    shutil.copy(paths.PREDICTIONS, project / paths.PREDICTIONS)
    shutil.copy("params.yaml", project / "params.yaml")
    port = free_port()
    python_path = os.pathsep.join(filter(None, [str(CODE_ROOT), os.environ.get("PYTHONPATH")]))
    log = scratch / "judge.log"
    with open(log, "w", encoding="utf-8") as output:
        process = subprocess.Popen([sys.executable, "-m", "stages.judge", "--port", str(port)], cwd=project,
                                   env={**os.environ, "PYTHONPATH": python_path}, stdout=output,
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise ElmError(f"screenshots: the judge did not start within {STARTUP_S} s: {log.read_text()[-1000:]}")


def stop(process: subprocess.Popen) -> None:
    """Ctrl+C, as a user stops the judge."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def shoot_judge(scratch: Path) -> tuple[bytes, str]:
    """The judge's page of a reader's first post at phone width, as PNG bytes, and what it shows ("1 of 40,
    @handle")."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    process, url = start_judge(scratch)
    try:
        driver = webdriver(scratch, window=JUDGE_WINDOW)  # NO_NETWORK's resolver rule would refuse 127.0.0.1 too
        try:
            driver.get(url)
            driver.find_element(By.ID, "name").send_keys(READER, Keys.ENTER)
            WebDriverWait(driver, 30).until(expected_conditions.presence_of_element_located((By.ID, "post")))
            shown = (f"{driver.find_element(By.ID, 'progress').text}, "
                     f"{driver.find_element(By.CSS_SELECTOR, '#post .handle').text}")
            return driver.get_screenshot_as_png(), shown
        finally:
            driver.quit()
    except WebDriverException as err:
        said = (err.msg or str(err)).strip().splitlines()[0]
        raise ElmError(f"screenshots: the browser could not show the judge at {url}: {said}") from None
    finally:
        stop(process)


def take() -> dict[str, str]:
    """Take both screenshots and write them with docs/screenshots.json, all three or none; what each shows."""
    require_inputs()
    with tempfile.TemporaryDirectory(prefix="elm-screenshots-") as folder:
        report_png = shoot_report(Path(folder))
        judge_png, judge_shows = shoot_judge(Path(folder))
    with io.outputs() as out:
        out.path(REPORT_SHOT).write_bytes(report_png)
        out.path(JUDGE_SHOT).write_bytes(judge_png)
        out.json(record(), RECORD)
    return {str(REPORT_SHOT): f"the top of {paths.REPORT_PAGE}", str(JUDGE_SHOT): f"the judge at {judge_shows}"}
