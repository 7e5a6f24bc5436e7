"""`dvc plots show` and `dvc plots diff` draw every chart with no network: the real `dvc` writes its pages in a
copy of the project's committed plot files, once with DVC's own page (Vega from a CDN) and then with the
template `python -m elm plots-template` (what `make setup` runs) writes, and headless chromium that can reach
no host opens each page. A chart counts as drawn when its Vega scene holds data marks (bars, lines, cells),
not just axes, and the browser painted them."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from browser import NO_NETWORK, needs_chromedriver, webdriver
from stage_runner import DVC, ROOT, cli_env, sh

pytestmark = needs_chromedriver

RENDER_TIMEOUT_S = 120   # 27 charts and a 0.9 MB script on a busy 2-core machine take a few seconds

# Runs before the page's own scripts: wraps vegaEmbed, whenever a script defines it, to keep each chart's
# Vega view (DVC's page drops the promise vegaEmbed returns) or the error it failed with.
RECORD_EMBEDS = """
window.__embeds = {views: {}, errors: {}};
Object.defineProperty(window, "vegaEmbed", {
  configurable: true,
  get() { return window.__vegaEmbed; },
  set(embed) {
    window.__vegaEmbed = function (el, spec, options) {
      const done = embed(el, spec, options);
      done.then(result => { window.__embeds.views[el] = result.view; },
                error => { window.__embeds.errors[el] = String(error); });
      return done;
    };
  },
});
"""

# Per container: how many data marks its Vega scene holds, and how many of them the browser painted: in
# an SVG (vega-embed 7's default) the data marks' shapes it laid out with a size, on a canvas its inked pixels.
DRAWN = """
function dataMarks(mark) {
  let count = 0;
  for (const item of mark.items || []) {
    if (mark.marktype === "group") for (const child of item.items || []) count += dataMarks(child);
    else if (mark.role === "mark") count += 1;
  }
  return count;
}
function painted(container) {
  const svg = container.querySelector("svg.marks"), canvas = container.querySelector("canvas.marks");
  if (svg) return Array.from(svg.querySelectorAll("g.role-mark > *")).filter(shape => {
    const box = shape.getBoundingClientRect(); return box.width > 0 || box.height > 0; }).length;
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked += 1;
  return inked;
}
const drawn = {};
for (const [selector, view] of Object.entries(window.__embeds.views)) {
  drawn[selector] = {marks: dataMarks(view.scenegraph().root), painted: painted(document.querySelector(selector))};
}
return {drawn: drawn, errors: window.__embeds.errors, vega: typeof window.vega};
"""


@dataclass
class Page:
    path: Path
    charts: list[str]   # the vega-embed containers DVC wrote into the page ('#id')
    vega_plots: int     # the Vega plots `dvc plots ... --json` lists for the same command


def project_copy(dest: Path) -> Path:
    """A git repo holding what `dvc plots` reads: dvc.yaml, .dvc/ and the committed reports/, in one commit."""
    listed = subprocess.run(["git", "ls-files", "dvc.yaml", "dvc.lock", "params.yaml", ".dvc", ".dvcignore",
                             "reports"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in listed:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    sh("git", "init", "-q", "-b", "main", cwd=dest)
    sh("git", "add", "-A", cwd=dest)
    sh("git", "commit", "-q", "-m", "plots", cwd=dest)
    return dest


def dvc_page(repo: Path, out: str, *command: str) -> Page:
    """Run `dvc plots <command> -o <out>` and `... --json`; the page it wrote."""
    sh(DVC, "plots", *command, "-o", out, cwd=repo)
    listed = json.loads(sh(DVC, "plots", *command, "--json", cwd=repo))["data"]
    page = repo / out / "index.html"
    charts = ["#" + name for name in re.findall(r"vegaEmbed\('#([^']+)'", page.read_text())]
    return Page(page, charts, sum(r["type"] == "vega" for plots in listed.values() for r in plots))


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Page]:
    """DVC's own page, then with Elm's template: `dvc plots show`, and `dvc plots diff HEAD` after a change."""
    repo = project_copy(tmp_path_factory.mktemp("offline-plots") / "elm")
    made = {"dvc default": dvc_page(repo, "default", "show")}
    sh(sys.executable, "-m", "elm", "plots-template", cwd=repo, env=cli_env(PYTHONPATH=str(ROOT)))   # `make setup`
    assert "html_template = offline-plots.html" in (repo / ".dvc" / "config.local").read_text()
    made["show"] = dvc_page(repo, "show", "show")
    counts = repo / "reports" / "plots" / "posts_per_account.csv"
    counts.write_text(re.sub(r"\b529\b", "600", counts.read_text(), count=1))   # the workspace now differs
    made["diff"] = dvc_page(repo, "diff", "diff", "HEAD")
    return made


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless chromium with no network, recording every vegaEmbed call of the pages it opens."""
    driver = webdriver(tmp_path_factory.mktemp("chromium"), window=(1280, 1024), flags=NO_NETWORK)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_EMBEDS})
    yield driver
    driver.quit()


def open_page(driver, page: Page, wait: bool = True) -> dict:
    """Open ``page``; once each chart is drawn or failed (``wait``), or right after the load event, what it drew."""
    from selenium.webdriver.support.wait import WebDriverWait

    driver.get(page.path.as_uri())
    if wait:
        settled = "return Object.keys(__embeds.views).length + Object.keys(__embeds.errors).length"
        WebDriverWait(driver, RENDER_TIMEOUT_S).until(
            lambda d: d.execute_script(settled) >= len(page.charts),
            message=f"{page.path}: not every chart settled in {RENDER_TIMEOUT_S} s")
    return driver.execute_script(DRAWN)


def drawn_charts(state: dict) -> list[str]:
    return sorted(s for s, seen in state["drawn"].items() if seen["marks"] > 0 and seen["painted"] > 0)


def test_dvc_default_page_draws_no_chart_offline(pages, browser):
    """The issue, and proof the check sees it: DVC's page asks a CDN for Vega, and with no network every
    chart stays blank (its scripts have run by the load event, so nothing is left to wait for)."""
    page = pages["dvc default"]
    assert "https://cdn.jsdelivr.net/npm/vega" in page.path.read_text()
    assert len(page.charts) == page.vega_plots > 20
    state = open_page(browser, page, wait=False)
    assert state["vega"] == "undefined" and drawn_charts(state) == []


def test_plots_show_draws_every_chart_offline(pages, browser):
    page = pages["show"]
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)\s*=\s*["']?https?:""", page.path.read_text())
    assert len(page.charts) == page.vega_plots > 20
    state = open_page(browser, page)
    assert state["errors"] == {}
    assert drawn_charts(state) == sorted(page.charts), json.dumps(state["drawn"], indent=1)


def test_plots_diff_draws_every_chart_of_both_revisions_offline(pages, browser):
    page = pages["diff"]
    assert len(page.charts) == page.vega_plots == len(pages["show"].charts)
    state = open_page(browser, page)
    assert state["errors"] == {}
    assert drawn_charts(state) == sorted(page.charts), json.dumps(state["drawn"], indent=1)
    # the changed table is drawn once per revision: HEAD's bars beside the workspace's
    shown = open_page(browser, pages["show"])["drawn"]["#corpus_posts_per_account"]["marks"]
    assert state["drawn"]["#corpus_posts_per_account"]["marks"] == 2 * shown
