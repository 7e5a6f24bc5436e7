"""The judge app and the `human` stage: a real server on 127.0.0.1 (`python -m stages.judge`), a reader in
a real headless chromium (Selenium; those tests skip when chromium or chromium-driver is absent), hostile
requests over plain HTTP and raw sockets, a second judge on the same answers, loopback binds by every name, and
what `human` measures from the answers."""
from __future__ import annotations

import contextlib
import http.client
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from elm import human, human_metrics, judge_server, paths, results
from elm.errors import ElmError

from browser import needs_chromedriver, webdriver
from helpers import ROOT, Elements
from stage_runner import run_stage, stage_env

SCRIPT_POST = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> & co"
POSTS = [  # text, label (1 real, 0 generated), account, naive_bayes_pred, random_forest_pred
    ("Fair winds all the way to the Azores today.", 1, "ada_sails", 1, 1),
    ("Reefed the main at dawn, coffee in hand.", 1, "ada_sails", 1, 0),
    ("The sea is a sea of seas and boats are boats.", 0, "ada_sails", 0, 0),
    ("Sourdough starter is alive and bubbling again!", 1, "basil_bakes", 0, 1),
    ("Bake the bread with the bread of bread today.", 0, "basil_bakes", 0, 0),
    (SCRIPT_POST, 0, "basil_bakes", 1, 0),
]
ANSWERS = Path(paths.ANSWERS)


def write_predictions(root: Path) -> pd.DataFrame:
    table = pd.DataFrame(POSTS, columns=["text", "label", "account", "naive_bayes_pred", "random_forest_pred"])
    (root / "reports/classify").mkdir(parents=True, exist_ok=True)
    table.to_csv(root / paths.PREDICTIONS, index=False)
    return table.assign(id=[results.post_id(a, t) for a, t in zip(table["account"], table["text"])]).set_index("id")


@pytest.fixture
def project(workdir) -> Path:
    """A scratch project holding classify's test posts (POSTS) and the default params."""
    write_predictions(workdir)
    return workdir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`python -m stages.judge` in ``root`` on a free port of ``host`` (loopback), started and stopped as a user
    would."""

    def __init__(self, root: Path, host: str = "127.0.0.1"):
        self.root, self.host, self.port, self.process = root, host, free_port(), None

    @property
    def url(self) -> str:
        return judge_server.url(self.host, self.port)

    def launch(self) -> subprocess.Popen:
        """The judge's process, just started."""
        self.process = subprocess.Popen([sys.executable, "-m", "stages.judge", "--host", self.host, "--port",
                                         str(self.port)], cwd=self.root, env=stage_env(), stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        return self.process

    def start(self) -> Server:
        self.launch()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"judge ended early:\n{self.process.stdout.read()}"
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("judge did not listen within 60 s")

    def stop(self) -> None:
        """Ctrl+C, as a user stops it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                chunked: bool = False) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        if chunked:
            connection.putrequest(method, path)
            for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
                connection.putheader(name, value)
            connection.endheaders()
            connection.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        else:
            connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        connection.close()
        return response


@pytest.fixture
def server(project):
    running = Server(project).start()
    yield running
    running.stop()


def answers_file(root: Path) -> list[dict]:
    path = root / ANSWERS
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# --- A reader in a real browser ---


@needs_chromedriver
def test_a_reader_judges_with_clicks_and_keys_across_a_restart(project, server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    labels = write_predictions(project)
    driver = webdriver(tmp_path)
    clicked = []  # (post id, answer, follow, upbeat) in the order the reader gave them

    def shown() -> tuple[str, str, str]:
        WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.ID, "progress")),
                                        message=driver.page_source[-1500:])
        progress = driver.find_element(By.ID, "progress").text
        handle = driver.find_element(By.CSS_SELECTOR, "#post .handle").text
        text = driver.find_element(By.ID, "text").text
        return progress, handle, text

    def judge(how: str, answer: str, follow=None, upbeat=None, keys: str = "") -> None:
        _, handle, text = shown()
        post_id = results.post_id(handle.removeprefix("@"), text)
        assert post_id in labels.index and post_id not in [c[0] for c in clicked], "a post shown twice"
        if text == SCRIPT_POST:  # shown as the text it is: no element made of it, nothing run
            assert driver.find_elements(By.CSS_SELECTOR, "#post script, #post img") == []
        body = driver.find_element(By.TAG_NAME, "body")
        old = driver.find_element(By.ID, "post")
        if keys:
            body.send_keys(keys)
        if how == "click":
            driver.find_element(By.ID, answer).click()
        else:
            body.send_keys("r" if answer == "real" else "g")
        clicked.append((post_id, answer, follow, upbeat))
        WebDriverWait(driver, 20).until(expected_conditions.staleness_of(old))  # the next page loaded

    try:
        driver.get(server.url)
        name = driver.find_element(By.ID, "name")
        name.send_keys("alice", Keys.ENTER)
        assert shown()[0] == "1 of 6"
        # phone width: nothing wider than the window
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        judge("click", "real")
        judge("key", "generated")
        judge("click", "generated", follow=True, upbeat=False, keys="fuu")  # f: yes; u, u: yes then no
        assert shown()[0] == "4 of 6"

        server.stop()  # mid-way: what was answered is on disk, line by line
        assert [(a["post"], a["answer"], a["follow"], a["upbeat"]) for a in answers_file(project)] == clicked
        server.start()
        driver.get(server.url)  # the cookie names the reader: carries on at post 4, none seen again
        assert shown()[0] == "4 of 6"
        judge("key", "real", follow=False, keys="ff")
        judge("click", "real")
        judge("key", "generated", upbeat=True, keys="u")
        done = WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.ID, "done")))
        assert "you judged all 6 posts" in done.text

        # the post holding markup showed as its text, and nothing in it ran
        assert results.post_id("basil_bakes", SCRIPT_POST) in [c[0] for c in clicked]
        assert driver.title == "Elm judge"
    finally:
        driver.quit()

    recorded = answers_file(project)
    assert [(a["post"], a["answer"], a["follow"], a["upbeat"]) for a in recorded] == clicked
    assert {a["reader"] for a in recorded} == {"alice"}
    run_stage("human", project)
    metrics = json.loads((project / paths.HUMAN_SUMMARY).read_text())
    right = sum((answer == "real") == (labels.loc[post, "label"] == 1) for post, answer, *_ in clicked)
    assert metrics["answers"] == 6 and metrics["readers"] == 1 and metrics["posts_judged"] == 6
    assert metrics["accuracy"] == round(right / 6, 4)
    assert metrics["accuracy_low"] <= metrics["accuracy"] <= metrics["accuracy_high"]
    assert metrics["pairwise_agreement"] is None  # one reader: nothing to agree on
    breakdown = json.loads((project / paths.HUMAN_BREAKDOWN).read_text())
    assert breakdown["per_reader"]["alice"]["answers"] == 6
    assert sum(breakdown["ratings"][kind]["follow"]["answers"] for kind in ("generated", "real")) == 2
    assert metrics["follow_generated_answers"] + metrics["follow_real_answers"] == 2


# --- Hostile and malformed requests, over plain HTTP ---


def test_malformed_and_hostile_posts_get_4xx_and_change_nothing(project, server):
    cookie = {"Cookie": "elm_reader=eve"}
    post = human.reader_posts(write_predictions(project).index, "eve", 0, 6)[0]
    refused = [
        ("POST", "/answer", f"post={post}&answer=real".encode(), {}, 403),                      # no reader
        ("POST", "/answer", b"post=0123456789abcdef&answer=real", cookie, 404),                 # unknown post
        ("POST", "/answer", f"post={post}&answer=maybe".encode(), cookie, 422),                 # not an answer
        ("POST", "/answer", f"post={post}&answer=real&follow=always".encode(), cookie, 422),    # not a rating
        ("POST", "/answer", f"post={post}&answer=real&admin=1".encode(), cookie, 422),          # unknown field
        ("POST", "/answer", f"post={post}&post={post}&answer=real".encode(), cookie, 422),      # field twice
        ("POST", "/answer", f"post={post}&answer=real&follow={'x' * 3000}".encode(), cookie, 413),  # oversized
        ("POST", "/answer", json.dumps({"post": post, "answer": "real"}).encode(),
         {**cookie, "Content-Type": "application/json"}, 415),
        ("POST", "/answer", f"post={post}&answer=real".encode(),
         {**cookie, "Origin": "http://evil.example"}, 403),                                     # another site
        ("POST", "/answer", f"post={post}&answer=real".encode(), {**cookie, "Host": "evil.example"}, 400),
        ("POST", "/reader", b"name=%3Cscript%3E", {}, 422),                                       # not a name
        ("POST", "/reader", b"name=" + b"a" * 41, {}, 422),
    ]
    for method, path, body, headers, status in refused:
        response = server.request(method, path, body, headers)
        assert response.status == status, (body[:80], headers, response.status, response.text[:300])
        assert "<script>" not in response.text
    chunked = server.request("POST", "/answer", f"post={post}&answer=real".encode(), cookie, chunked=True)
    assert chunked.status == 411
    assert not (project / ANSWERS).exists() or answers_file(project) == []

    first = server.request("POST", "/answer", f"post={post}&answer=real".encode(), cookie)
    replay = server.request("POST", "/answer", f"post={post}&answer=generated".encode(), cookie)
    assert (first.status, replay.status) == (303, 409) and "already answered" in replay.text
    assert [(a["post"], a["reader"], a["answer"]) for a in answers_file(project)] == [(post, "eve", "real")]


def test_the_judge_page_shows_a_post_s_line_breaks_and_links_as_written():
    from elm.report import CSP, environment

    post = {"id": "p1", "account": "ada_sails", "text": "Fair winds 🌬️\n\nphotos: HTTPURL <b>x</b>"}
    html = environment().get_template("judge.html").render(csp=CSP, reader="eve", post=post, error=None, position=1,
                                                           total=2)
    parsed = Elements(html)
    assert "Fair winds 🌬️\n\nphotos: \N{LINK SYMBOL} <b>x</b>" in "".join(parsed.text) and parsed.named("b") == []
    assert [attrs["title"] for attrs in parsed.named("span") if attrs.get("class") == "link-sign"]


def test_it_binds_loopback_by_default_and_says_so(server):
    server.stop()
    output = server.process.stdout.read()
    assert "http://127.0.0.1:" in output and "only this machine can reach it" in output
    help_text = subprocess.run([sys.executable, "-m", "stages.judge", "--help"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout
    assert "--host" in help_text and "0.0.0.0" in help_text and "trust" in help_text
    # --host's line points to the network risk where the help explains it
    assert help_text.index("read the risk below") < help_text.index("--host 0.0.0.0 opens it to every machine")


# --- What a hostile tester probed: two judges, loopback names, slow clients ---


def test_a_second_judge_on_the_same_answers_refuses_and_names_the_first(project, server):
    second = Server(project)
    second.launch()
    try:
        assert second.process.wait(timeout=30) == 2, "a second judge started on the same answers file"
    finally:
        second.stop()
    refusal = second.process.stdout.read()
    assert f"in use by the judge at {server.url} (pid {server.process.pid})" in refusal
    assert "one judge per answers file" in refusal

    cookie = {"Cookie": "elm_reader=eve"}
    post = human.reader_posts(write_predictions(project).index, "eve", 0, 6)[0]
    assert server.request("POST", "/answer", f"post={post}&answer=real".encode(), cookie).status == 303
    server.process.send_signal(signal.SIGKILL)  # a crash frees the answers file: the lock dies with its process
    server.process.wait()
    second.start()
    assert second.request("POST", "/answer", f"post={post}&answer=generated".encode(), cookie).status == 409
    second.stop()
    assert [(a["post"], a["answer"]) for a in answers_file(project)] == [(post, "real")]


def loopback_v6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("host", ["localhost", pytest.param("::1", marks=pytest.mark.skipif(
    not loopback_v6(), reason="this machine has no IPv6 loopback (::1)"))])
def test_every_loopback_bind_checks_the_host_and_says_only_this_machine(project, host):
    server = Server(project, host).start()
    try:
        port = server.port
        own = "localhost" if host == "localhost" else "[::1]"
        for name, status in ((f"{own}:{port}", 200), (f"127.0.0.1:{port}", 200), (f"LOCALHOST:{port}", 200),
                             (f"evil.example:{port}", 400), ("evil.example", 400), (own, 400),
                             (f"{own}:{port + 1}", 400)):
            response = server.request("GET", "/", headers={"Host": name})
            assert response.status == status, (name, response.status, response.text[:200])
    finally:
        server.stop()
    banner = server.process.stdout.read()
    assert f"judge: {server.url} (loopback: only this machine can reach it)" in banner
    assert "other machines" not in banner


def test_the_banner_of_an_open_bind_says_who_can_reach_it():
    assert judge_server.host_names("0.0.0.0", 8765) is None and judge_server.host_names("192.0.2.7", 80) is None
    assert judge_server.reach("0.0.0.0", 8765).startswith(
        "bound to every address of this machine: every machine that can reach this machine on port 8765")
    assert "every machine that can reach 192.0.2.7 on port 80" in judge_server.reach("192.0.2.7", 80)
    assert judge_server.host_names("127.0.0.1", 80) == ["localhost:80", "127.0.0.1:80", "[::1]:80",
                                                         "localhost", "127.0.0.1", "[::1]"]


def test_slow_and_half_sent_requests_are_cut_off(project, default_params):
    default_params["judge"]["request_timeout"] = 1
    project.write_params(default_params)
    server = Server(project).start()
    head = (f"POST /answer HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Length: 40\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n").encode()
    half_sent = [b"", b"GET / HT", head, head + b"\r\npost=abc", b"G"]  # nothing; line; headers; body; trickle
    clients = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(6)]
    try:
        for client, data in zip(clients, half_sent):
            client.sendall(data)
        kept_alive = clients[5]  # one whole request answered, then half of the next
        kept_alive.sendall(f"GET /style.css HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        assert kept_alive.recv(65536).startswith(b"HTTP/1.1 200")
        kept_alive.sendall(b"GET / HTTP/1.1\r\nHo")
        started, closed = time.monotonic(), {}
        while len(closed) < len(clients) and time.monotonic() - started < 6:
            if 4 not in closed:
                with contextlib.suppress(OSError):  # closed: seen below
                    clients[4].send(b"E")  # a byte every 0.1 s does not move the deadline
            for number, client in enumerate(clients):
                if number not in closed and connection_closed(client):
                    closed[number] = time.monotonic() - started
            time.sleep(0.1)
        assert sorted(closed) == list(range(6)), f"still open after 6 s: {sorted(set(range(6)) - set(closed))}"
        assert all(seconds < 3 for seconds in closed.values()), closed
        assert server.request("GET", "/").status == 200  # and a whole request is still served
    finally:
        for client in clients:
            client.close()
        server.stop()
    logged = server.process.stdout.read()
    assert logged.count("sent part of a request, not all of it within 1 s") == 5  # the idle one goes unlogged
    assert "Traceback" not in logged


def connection_closed(client: socket.socket) -> bool:
    """Whether the server closed ``client``'s connection (what it sent before is read and dropped)."""
    client.setblocking(False)
    try:
        while client.recv(65536):
            pass
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        client.setblocking(True)


# --- The answers file and what `human` measures ---


def test_an_incomplete_last_line_is_cut_and_the_rest_kept(workdir):
    path = workdir / ANSWERS
    path.parent.mkdir(parents=True)
    whole = json.dumps({"post": "a", "reader": "r", "answer": "real", "follow": None, "upbeat": None, "time": "t"})
    path.write_text(whole + "\n" + whole[:20])

    assert len(human.read_answers(path)) == 1
    log = human.AnswerLog(path)
    assert log.append("b", "r", "generated", None, True) and not log.append("a", "r", "generated", None, None)
    assert [a["post"] for a in human.read_answers(path)] == ["a", "b"]
    with pytest.raises(ElmError, match=r"answers.jsonl is in use by another process \(pid \d+\): one judge per"):
        human.AnswerLog(path)  # one writer per answers file, even in one process
    log.close()
    human.AnswerLog(path).close()


def test_a_corrupt_answer_line_is_a_clear_error(workdir):
    path = workdir / ANSWERS
    path.parent.mkdir(parents=True)
    path.write_text('{"post": "a"}\n')
    with pytest.raises(ElmError, match=r"answers.jsonl line 1: not an answer"):
        human.read_answers(path)


def test_with_no_answers_the_stage_writes_an_explicit_summary(project):
    run_stage("human", project)
    metrics = json.loads((project / paths.HUMAN_SUMMARY).read_text())
    assert metrics["answers"] == 0 and metrics["accuracy"] is None and "no answers" in metrics["status"]
    assert metrics["follow_generated"] is None and metrics["upbeat_real"] is None
    assert metrics["follow_real_answers"] == 0
    assert json.loads((project / paths.HUMAN_BREAKDOWN).read_text()) == {}
    assert set(json.loads((project / paths.HUMAN_METRICS).read_text()).values()) == {None}


def test_agreement_accuracy_and_detectors_on_the_same_posts(project):
    posts = human.judge_posts(results.read_predictions())
    ids = {text: post_id for post_id, text in posts["text"].items()}
    real, fake = ids[POSTS[0][0]], ids[POSTS[2][0]]

    def answer(post, reader, said):
        return {"post": post, "reader": reader, "answer": said, "follow": None, "upbeat": None, "time": "t"}

    answers = [answer(real, "a", "real"), answer(real, "b", "real"), answer(real, "c", "generated"),
               answer(fake, "a", "generated"), answer(fake, "b", "generated"),
               answer("0000000000000000", "a", "real")]  # a post no longer in the test split
    headline, breakdown = human_metrics.measure(answers, posts)

    assert headline["answers"] == 5 and headline["stale_answers"] == 1 and headline["readers"] == 3
    assert headline["accuracy"] == 0.8
    # pairs agreeing: real post 1 of 3 pairs... (a,b) agree, (a,c), (b,c) not; fake post 1 of 1
    assert headline["pairwise_agreement"] == round((1 / 3 + 1) / 2, 4)
    assert breakdown["same_posts"]["readers (majority vote)"]["accuracy"] == 1.0
    assert breakdown["same_posts"]["naive_bayes"]["accuracy"] == 1.0  # nb: real 1, fake 0
    assert breakdown["same_posts"]["random_forest"]["accuracy"] == 1.0
    assert headline["best_detector_accuracy"] == 1.0
    assert breakdown["per_readers_per_post"] == {"2": {"posts": 1, "majority_accuracy": 1.0},
                                                 "3": {"posts": 1, "majority_accuracy": 1.0}}
    assert set(breakdown["per_account"]) == {"ada_sails"}


def test_reactions_and_the_first_answer_rule_from_a_hand_made_answers_file(project):
    ids = {text: post_id for post_id, text in human.judge_posts(results.read_predictions())["text"].items()}
    real_ada, gen_ada, real_basil, gen_basil = (ids[POSTS[i][0]] for i in (0, 2, 3, 4))

    def line(reader, post, said, follow, upbeat, second):
        return json.dumps({"post": post, "reader": reader, "answer": said, "follow": follow, "upbeat": upbeat,
                           "time": f"2024-05-01T10:00:{second:02d}+00:00"})

    answers = [line("a", real_ada, "real", True, True, 1), line("a", gen_ada, "generated", False, True, 2),
               line("b", real_ada, "real", True, None, 3), line("b", gen_ada, "real", True, False, 4),
               line("b", gen_basil, "generated", False, None, 5), line("c", real_basil, "generated", False, None, 6),
               line("a", gen_ada, "real", True, False, 7),             # a's second answer to a post: left out
               line("c", gen_basil, "real", True, True, 9),            # later than the next line, though above it
               line("c", gen_basil, "generated", False, None, 8)]      # (merged files): c's first answer
    (project / ANSWERS).parent.mkdir(parents=True)
    (project / ANSWERS).write_text("\n".join(answers) + "\n")
    done = run_stage("human", project)

    assert "2 repeated answer(s)" in done.stderr
    metrics = json.loads((project / paths.HUMAN_SUMMARY).read_text())
    assert metrics["answers"] == 7 and metrics["accuracy"] == round(5 / 7, 4)  # first answers only: b gen_ada, c real
    assert {key: metrics[key] for key in metrics if key.startswith(("follow", "upbeat"))} == {
        "follow_generated": 0.25, "follow_generated_answers": 4,  # a no, b yes, b no, c no
        "follow_real": 0.6667, "follow_real_answers": 3,          # a yes, b yes, c no
        "upbeat_generated": 0.5, "upbeat_generated_answers": 2,   # a yes, b no
        "upbeat_real": 1.0, "upbeat_real_answers": 1}             # a yes
    # the DVC metrics `dvc metrics diff` compares runs by: the same numbers under short names
    assert json.loads((project / paths.HUMAN_METRICS).read_text()) == {
        "readers_acc": round(5 / 7, 4), "follow_gen": 0.25, "follow_real": 0.6667, "upbeat_gen": 0.5, "upbeat_real": 1.0}
    breakdown = json.loads((project / paths.HUMAN_BREAKDOWN).read_text())
    assert breakdown["duplicates_dropped"] == 2
    assert breakdown["ratings"]["real"]["follow"] == {"answers": 3, "yes": 0.6667, "yes_low": 0.2077,
                                                      "yes_high": 0.9385}  # Wilson, 2 of 3
    assert breakdown["ratings"]["real"]["upbeat"] == {"answers": 1, "yes": 1.0, "yes_low": 0.2065, "yes_high": 1.0}
    per_account = breakdown["ratings_per_account"]
    assert per_account["ada_sails"]["generated"]["follow"]["yes"] == 0.5
    assert per_account["basil_bakes"]["generated"]["follow"] == {"answers": 2, "yes": 0.0, "yes_low": 0.0,
                                                                 "yes_high": 0.6576}
    assert per_account["basil_bakes"]["real"]["upbeat"] == {"answers": 0, "yes": None, "yes_low": None,
                                                            "yes_high": None}


