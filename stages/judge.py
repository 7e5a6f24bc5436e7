"""Start the judge app: readers tell real test posts from generated ones in a browser.

    python -m stages.judge                 # http://127.0.0.1:8765/ , this machine only
    python -m stages.judge --port 9000

The posts are classify's test split (reports/classify/predictions.csv): real and generated mixed,
each with its account's handle. Each reader types a name and judges judge.posts_per_reader posts in
an order of their own, never one twice; keys R (real) and G (generated), F and U for the optional
ratings (would you follow this account? is it upbeat?). Every answer is appended to
data/human/answers.jsonl at once: stop the server (Ctrl+C) or close the browser at any time, and a
restart carries on where each reader stopped. Then `dvc repro human` measures the answers
(reports/metrics/human.json, reports/human/summary.json) and `dvc repro report` shows them. See docs/judging.md.

One judge per answers file: a second one refuses to start and names the first (its address and pid).

The app binds 127.0.0.1 by default: only this machine can reach it. So it is with any loopback bind
(--host localhost, --host ::1), which answers only to this machine's names (localhost, 127.0.0.1,
[::1], with the port), against DNS rebinding. --host 0.0.0.0 opens it to every machine on your
network (a lab's LAN): anyone who reaches the port can read the test posts and add answers under any
name, over plain HTTP. Use it only on a network you trust, for the length of a round. A client that
takes longer than judge.request_timeout seconds to send a whole request is cut off.

Params (section `judge`): posts_per_reader, seed, request_timeout.
"""
from __future__ import annotations

from elm import cli, paths, results
from elm.errors import ElmError
from elm.human import AnswerLog, judge_posts
from elm.judge import create_app
from elm.judge_server import host_names, reach, serve, url
from elm.params.judge import Judge
from elm.params.validation import load

LOOPBACK = "127.0.0.1"


def arguments(parser) -> None:
    parser.add_argument("--host", default=LOOPBACK,
                        help="address to bind (default: %(default)s, this machine only; 0.0.0.0 opens it to your "
                             "network: read the risk below)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default: %(default)s)")


def main(params_path: str = "params.yaml", host: str = LOOPBACK, port: int = 8765) -> None:
    p = load(Judge, params_path)
    posts = judge_posts(results.read_predictions())
    if posts.empty:
        raise ElmError(f"{paths.PREDICTIONS} holds no test posts to judge; rerun `dvc repro classify`")
    answers = AnswerLog(paths.ANSWERS, holder=f"the judge at {url(host, port)}")
    app = create_app(posts, answers, p.posts_per_reader, p.seed, allowed_hosts=host_names(host, port))
    print(f"judge: {url(host, port)} ({reach(host, port)}); {len(posts)} test posts, "
          f"{min(p.posts_per_reader, len(posts))} per reader; answers go to {paths.ANSWERS}; Ctrl+C stops", flush=True)
    serve(app, host, port, p.request_timeout)


if __name__ == "__main__":
    cli.run(main, __doc__, arguments=arguments)
