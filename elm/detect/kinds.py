"""The kinds of detector, by what each reads besides a post; classify labels every detector with one, and the
headline metrics (classify.json) and the report give the strongest of each."""

TEXT_ONLY, SURROGATE, WHITE_BOX = "text only", "surrogate", "white-box"
KINDS = {  # kind -> what it reads, in the order reports list them
    TEXT_ONLY: "only the posts, as any reader or platform can",
    SURROGATE: "the posts with a public base model (black-box: no access to the generator)",
    WHITE_BOX: "the posts with the generator's own fine-tuned weights",
}
