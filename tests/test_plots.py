"""The `plots` stage: every CSV and PNG written, with the right columns and real images."""
from __future__ import annotations

import pandas as pd
import pytest

from elm import plots
from elm.errors import ElmError
from stages import classify, sample
from stages import plots as plots_stage

from helpers import VOCABULARY, posts, tiny_params, write_generated, write_real

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COLUMNS = {
    "posts_per_account": ["account", "corpus_real", "sample_real", "sample_generated"],
    "top_words": ["word", "real", "generated"],
    "importances": ["feature", "importance"],
    "misclassified_words": ["word", "correct", "misclassified"],
}


@pytest.fixture
def pipeline_outputs(workdir, default_params):
    """A small corpus and generated set run through the real `sample` and `classify` stages."""
    params = tiny_params(default_params)
    params["sample"]["posts_per_class"] = 60
    params["plots"]["top_words"] = 5
    workdir.write_params(params)
    write_real({"sailor": 50, "baker": 30})
    # Half of the "generated" posts borrow the sailor's words, so the forest gets some wrong.
    write_generated(posts(VOCABULARY["model"], 35, seed=1) + posts(VOCABULARY["sailor"], 35, seed=2))
    sample.main()
    classify.main()
    return workdir


def test_stage_writes_every_table_and_figure(pipeline_outputs):
    plots_stage.main()

    for folder, suffix in (("reports/plots", ".csv"), ("reports/figures", ".png")):
        written = sorted(p.name for p in (pipeline_outputs / folder).iterdir())
        assert written == sorted(name + suffix for name in COLUMNS), folder
    for name, columns in COLUMNS.items():
        table = pd.read_csv(f"reports/plots/{name}.csv", keep_default_na=False)
        assert list(table.columns) == columns and len(table) > 0, name
        png = (pipeline_outputs / f"reports/figures/{name}.png").read_bytes()
        assert png.startswith(PNG_MAGIC) and len(png) > 5_000, name


def test_tables_hold_the_counts_and_shares(pipeline_outputs):
    plots_stage.main()

    per_account = pd.read_csv("reports/plots/posts_per_account.csv").set_index("account")
    assert per_account["corpus_real"].to_dict() == {"baker": 30, "sailor": 50}
    assert per_account["sample_real"].sum() == per_account["sample_generated"].sum() == 60

    words = pd.read_csv("reports/plots/top_words.csv").set_index("word")
    model_words, sailor_words = words.index.isin(VOCABULARY["model"]), words.index.isin(VOCABULARY["sailor"])
    assert model_words.any() and sailor_words.any() and len(words) <= 2 * 5
    assert (words.loc[model_words, "real"] == 0).all() and (words.loc[model_words, "generated"] > 0).all()
    assert (words.loc[sailor_words, ["real", "generated"]] > 0).all().all()

    misclassified = pd.read_csv("reports/plots/misclassified_words.csv")
    assert misclassified["misclassified"].sum() > 0 and misclassified["correct"].sum() > 0

    importances = pd.read_csv("reports/plots/importances.csv")
    assert len(importances) <= plots.TOP_FEATURES and importances["importance"].is_monotonic_decreasing


def test_word_shares_leave_out_stopwords_and_divide_by_all_words():
    shares = plots.word_shares(["The boat and the harbor", "boat boat a"])

    # 7 words of 2+ letters: the, boat, and, the, harbor, boat, boat ("a" is too short to be a token).
    assert shares.to_dict() == {"boat": 3 / 7, "harbor": 1 / 7}


def test_compare_top_words_takes_each_groups_top_words():
    table = plots.compare_top_words({"real": ["boat boat boat harbor"], "generated": ["robot robot laser"]}, top=1)

    assert table.to_dict("records") == [
        {"word": "boat", "real": 0.75, "generated": 0.0},
        {"word": "robot", "real": 0.0, "generated": round(2 / 3, 6)},
    ]


def test_misclassified_words_work_when_nothing_is_misclassified():
    predictions = pd.DataFrame({"text": ["boat harbor", "robot laser"], "label": [1, 0], "random_forest_pred": [1, 0]})

    table = plots.misclassified_words(predictions, top=5)

    assert list(table.columns) == ["word", "correct", "misclassified"]
    assert (table["misclassified"] == 0).all() and set(table["word"]) == {"boat", "harbor", "robot", "laser"}
    assert plots.bar_chart(table, "title", "share") is not None


def test_missing_classify_reports_name_the_stage(workdir, default_params):
    write_real({"sailor": 20})
    write_generated(posts(VOCABULARY["model"], 20, seed=1))
    sample.main()

    with pytest.raises(ElmError, match=r"reports/classify/predictions.csv: not found; run `dvc repro classify`"):
        plots_stage.main()


def test_words_are_tweet_tokens_without_punctuation():
    assert plots.words("Don't stop!!! Sooooo good :) @CNN #tbt 2021 a") == ["don't", "stop", "sooo", "good", "@cnn",
                                                                         "#tbt", "2021"]


def drawn(fig):
    """``fig`` drawn by the Agg backend (as savefig draws it), and its renderer, to measure where things landed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


LONG_FIRST_BARS = {  # the posts per account of the demo run, whose legend covered the corpus bars, and words whose
    # longest bars are at the bottom right, where the legend used to go
    "posts_per_account": pd.DataFrame({"account": ["ada_sails", "basil_bakes", "coach_cleo", "dr_dune"],
                                       "corpus_real": [529, 528, 548, 531], "sample_real": [75, 74, 77, 74],
                                       "sample_generated": [75, 74, 77, 74]}),
    "top_words": pd.DataFrame({"word": [f"word{i}" for i in range(30)], "real": [i / 1000 for i in range(30)],
                               "generated": [(30 - i) / 1000 for i in range(30)]}),
    "misclassified_words": pd.DataFrame({"word": ["boat", "bake"], "correct": [0.3, 0.0],
                                         "misclassified": [0.0, 0.9]}),
}


@pytest.mark.parametrize("name", sorted(LONG_FIRST_BARS))
def test_a_legend_sits_outside_the_axes_and_covers_no_bar_or_label(name):
    fig = plots.bar_chart(LONG_FIRST_BARS[name], *plots.CHARTS[name])
    renderer = drawn(fig)

    (ax,) = fig.axes
    legends = [*fig.legends, *filter(None, [ax.get_legend()])]
    assert len(legends) == 1
    box = legends[0].get_window_extent(renderer)
    assert not box.overlaps(ax.get_tightbbox(renderer))  # the bars, ticks, labels and title
    assert not any(box.overlaps(bar.get_window_extent(renderer)) for bar in ax.patches)
    assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 and fig.bbox.y0 <= box.y0 and box.y1 <= fig.bbox.y1
    labels = [text.get_text() for text in legends[0].get_texts()]
    assert all("_" not in label for label in labels), labels  # words, not column names
