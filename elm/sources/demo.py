"""SYNTHETIC demo posts: invented accounts written from templates. They are not real people.

(Over 300 lines: most of it is the four voices' templates and word lists, data rather than logic.)

The demo source lets the whole pipeline run offline with nothing to download. Each handle gets one
of four voices (a cheerful sailor, a home baker, an upbeat fitness coach, a wry astronomer): the
voice whose hint words appear in the handle (``ada_sails`` sails), otherwise one picked by a stable
hash of the handle. A voice is a set of phrase templates with slots filled from its own vocabulary,
so its posts vary (many thousands of possible posts) and a classifier can tell voices apart.

Posts carry the noise real ones do, at rates like those in real Twint exports: links, emojis (ZWJ
sequences and skin tones included), hashtags, leading @replies, "RT @x:" retweets, HTML entities
(``&amp;``), stray whitespace, very short posts, exact and near duplicates, and a few posts in
other languages. Everything is drawn from ``random.Random`` seeded by ``scrape.demo.seed`` and the
handle, so the same params give the same posts. Each row's ``raw`` says ``"synthetic": true``.
"""
from __future__ import annotations

import random
import re
import string
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from elm.sources.records import normalize


@dataclass(frozen=True)
class Voice:
    name: str
    hints: tuple[str, ...]  # a handle containing one of these gets this voice
    templates: tuple[str, ...]  # "{slot}" draws from slots; "{slot2}" draws from the same list again
    slots: dict[str, tuple[str, ...]]
    hashtags: tuple[str, ...]
    emojis: tuple[str, ...]
    openers: tuple[str, ...]  # verbal tics some posts start with
    friends: tuple[str, ...]  # handles it replies to and retweets
    foreign: tuple[tuple[str, str], ...]  # (language code, template)


SAILOR = Voice(
    name="sailor",
    hints=("sail", "boat", "sea", "ocean", "travel"),
    templates=(
        "Anchored off {place} {when}. {feeling}",
        "{wind} and {creature} off the bow {when}. {feeling}",
        "Today's to-do list: {chore}, then a swim. Tomorrow: {place}!",
        "{miles} nautical miles logged this week. Next stop {place}. {feeling}",
        "Dinner on deck in {place}: {food} and a sky full of stars.",
        "Note to self: check the {part} BEFORE leaving {place}. Every time.",
        "Huge thanks to {crew} for the help with the {part} {when}.",
        "Sailed into {place} on {wind}. {feeling}",
        "Nothing like {creature} {when} to remind you why you sail. {feeling}",
        "Who else has been to {place}? Looking for tips on anchorages & cafés. {crew} wants {food}.",
        "Passage plan for the week: {place} -> {place2}, weather permitting.",
        "Broke the {part} {when}. Fixed it with tape & optimism.",
        "Land legs are a myth. Still swaying in {place} after {miles} miles.",
        "Woke up {when} to {creature} around the boat. {feeling}",
        "Weather window looks good: {wind} all the way to {place}.",
        "Rainy day in {place}, so I {chore}. {feeling}",
        "Q: do you ever get seasick? A: only when {crew} cooks {food}.",
        "Sunset from the cockpit in {place}. No filter needed. {feeling}",
        "Leaving {place} tomorrow with {wind} in the forecast. Wish us luck!",
        "The {part} and I are no longer on speaking terms. {crew} is mediating.",
        "Swapped {food} for a bag of lemons with {crew}. Island economics.",
        "Day {day} of the crossing: {wind}, {creature}, and {food} again. {feeling}",
    ),
    slots={
        "place": ("Skye", "the Azores", "Lofoten", "Mallorca", "the Scilly Isles", "Brittany", "Madeira",
                  "the Cyclades", "Cape Verde", "the Outer Hebrides", "Gibraltar", "Lisbon", "Falmouth",
                  "Porto Santo", "La Gomera", "Sardinia", "Corsica", "the Faroe Islands", "Dubrovnik", "Grenada"),
        "when": ("at dawn", "this morning", "just before sunset", "after a long night watch", "at first light",
                 "under a full moon", "after three days at sea", "in a rolling swell", "on my morning watch"),
        "part": ("jib", "mainsail", "tiller", "anchor chain", "bilge pump", "windvane", "genoa", "dinghy outboard",
                 "spinnaker", "mooring lines", "chart plotter", "furling line"),
        "wind": ("a steady 15 knots", "a fresh northerly", "light and fluky airs", "a gusty westerly",
                 "a perfect beam reach", "the trade winds", "a cheeky squall", "a gentle sea breeze"),
        "creature": ("dolphins", "a pod of pilot whales", "flying fish", "a sea turtle", "glowing plankton",
                     "a curious seal", "gannets diving", "a pod of orcas", "a lost little songbird"),
        "feeling": ("Heart full!", "Pinch me.", "Best office in the world.", "Salt in my hair and a grin on my face.",
                    "Life is good out here.", "Never getting tired of this.", "Bliss.", "Couldn't stop smiling.",
                    "This is why we sold the house!"),
        "chore": ("patched the mainsail", "scrubbed the deck", "greased the winches", "re-spliced a dock line",
                  "fixed the leaky hatch", "cleaned the bilge (glamorous!)", "varnished the handrails"),
        "food": ("fresh grilled sardines", "instant noodles", "a fish we actually caught",
                 "custard tarts from the harbour bakery", "tinned peaches", "cold coffee", "a mountain of paella",
                 "crackers and questionable cheese"),
        "crew": ("the skipper", "my first mate Jonas", "our crew of three", "the harbour master",
                 "the French family on the next boat", "the marina cat"),
        "miles": ("42", "87", "120", "260", "1,100", "315"),
        "day": ("3", "7", "11", "14", "19"),
    },
    hashtags=("#sailing", "#sailinglife", "#liveaboard", "#oceanlove", "#travel", "#wanderlust", "#boatlife"),
    emojis=("⛵", "🌊", "🐬", "☀️", "🧭", "🏝️", "🐋", "⚓"),
    openers=("Ahoy!", "Update from the boat:", "Morning, sailors!", "Quick one from the cockpit:", "Well then.",
             "Guess what?", "Log entry:", "Okay, confession:"),
    friends=("@harbour_hugo", "@blue_water_bea", "@marina_mo", "@salty_sam"),
    foreign=(("es", "¡Fondeados en {place}! Qué maravilla de día."),
             ("fr", "Mouillage parfait ce soir près de {place}, la mer est calme."),
             ("pt", "Bom dia! O mar está lindo hoje, rumo a {place}."),
             ("de", "Endlich wieder segeln. Wind perfekt, Laune bestens!")),
)

BAKER = Voice(
    name="baker",
    hints=("bake", "bread", "dough", "cook", "kitchen"),
    templates=(
        "{hours}-hour cold proof on today's {bake} and look at that crumb. {reaction}",
        "Tried {ingredient} in my {bake} today. {reaction}",
        "Feeding {starter} before bed like a responsible parent. {bake} tomorrow!",
        "Oven at {temp}, {bake} in, fingers crossed. {reaction}",
        "Anyone else get {problem} with {bake}? Asking for a friend (me).",
        "Made {bake} with {ingredient} & {ingredient2}. {reaction}",
        "{starter} is bubbling like crazy this morning. {bake} day!",
        "Saturday bake list: {bake}, {bake2} and maybe {bake3} if I'm brave.",
        "Gave some {bake} to {person}. Now they want the recipe. {reaction}",
        "Lesson learned: {problem} on {bake} means your dough needed more time.",
        "Weighing flour at 6am because {bake} waits for no one. {reaction}",
        "Hot take: {bake} > {bake2}. Fight me.",
        "The secret to good {bake}? Patience, {ingredient} and a very hot oven.",
        "Crumb check on today's {bake}: open, glossy, a little wild. {reaction}",
        "{person} asked what I do all weekend. I pointed at the {bake}.",
        "Recipe test number {test} for {bake} with {ingredient}. Getting closer!",
        "Burnt my wrist on the Dutch oven again. The {bake} with {ingredient} was worth it.",
        "Laminating dough for {bake} today. Butter block is ready, I am not. {reaction}",
        "Scoring pattern of the day on my {bake}: a wheat ear. {reaction}",
        "If you only bake one thing this week, make it {bake} with {ingredient}.",
        "Flour on the ceiling, {ingredient} in my hair, {bake} in the oven. {reaction}",
        "{starter} survived {hours} hours in the fridge and still raised my {bake}. Proud starter parent.",
    ),
    slots={
        "bake": ("sourdough", "focaccia", "cinnamon buns", "rye loaf", "brioche", "croissants", "babka", "bagels",
                 "banana bread", "lemon drizzle cake", "olive ciabatta", "cardamom knots", "shortbread",
                 "soft pretzels", "challah", "seeded spelt loaf"),
        "ingredient": ("brown butter", "rosemary", "dark chocolate", "orange zest", "toasted walnuts", "cardamom",
                       "miso caramel", "wild garlic", "black sesame", "rhubarb", "local honey", "roasted garlic"),
        "hours": ("12", "18", "24", "36", "48", "72"),
        "starter": ("Clint Yeastwood", "Bread Pitt", "Doughbi-Wan", "my starter", "Gluten Morgentag"),
        "temp": ("220°C", "250°C", "200°C", "180°C", "230°C"),
        "problem": ("a gummy crumb", "a flat loaf", "a burnt bottom", "zero oven spring", "a crust like a helmet",
                    "butter leaking everywhere", "a giant tunnel in the middle"),
        "reaction": ("Worth every minute.", "The kitchen smells unreal.", "Crumb shot incoming.",
                     "Not bad for a Tuesday.", "I regret nothing.", "Flour everywhere, zero regrets.",
                     "Baking therapy works.", "Chef's kiss, if I say so myself."),
        "person": ("my neighbour", "my mum", "the kids", "the postman", "my partner", "the whole street"),
        "test": ("3", "4", "7", "9", "12"),
    },
    hashtags=("#sourdough", "#baking", "#breadmaking", "#homebaker", "#realbread", "#crumbshot"),
    emojis=("🍞", "🥐", "🧈", "🔥", "🥖", "👩‍🍳", "🧑🏽‍🍳", "🍰"),
    openers=("Bake update:", "Morning, bakers!", "Confession:", "Kitchen report:", "Well.", "Okay, so.",
             "Small win:", "PSA:"),
    friends=("@crumb_club", "@flour_power_fi", "@knead2know", "@proofing_pete"),
    foreign=(("fr", "Fournée du jour : {bake} et un peu de brioche."),
             ("de", "Heute Roggenbrot gebacken. Die Küche riecht herrlich!"),
             ("it", "Focaccia appena sfornata, chi ne vuole un pezzo?"),
             ("es", "Pan de masa madre recién horneado. ¡Qué rico!")),
)

COACH = Voice(
    name="coach",
    hints=("coach", "fit", "gym", "run", "lift"),
    templates=(
        "{time} session: {workout}, {reps}. {motivation}",
        "So proud! {client} just {achievement}. {motivation}",
        "Reminder: rest days build {muscle} too. {motivation}",
        "Post-workout fuel after {workout}: {food}. Simple & effective.",
        "Your {muscle} will thank you for {workout} later. {motivation}",
        "Quick tip: warm up your {muscle} before {workout}. Every. Single. Time.",
        "Who's joining me for {workout} at {time}? {motivation}",
        "Today's challenge: {reps} of {exercise}. Tag a friend who needs this!",
        "Didn't feel like training at {time}. Did {workout} anyway. {motivation}",
        "Form > ego. Lighten the load and own every rep of those {exercise}. {motivation}",
        "Monday motivation: {motivation} Now go crush {workout}!",
        "Stretch your {muscle} for 5 minutes tonight. Future you says thanks. {motivation}",
        "{client} asked how to start. Answer: {reps} of {exercise}, three days a week.",
        "Coffee, {food}, then {workout} at {time}. Perfect morning!",
        "Sore {muscle} today after {workout}? That's growth talking.",
        "No gym? No problem. {reps} of {exercise} in your living room. {motivation}",
        "Celebrate the wins: {client} {achievement}! {motivation}",
        "Hydrate, sleep, eat {food}, repeat. {motivation}",
        "Swapped {workout} for a walk in the sun today. Listening to your {muscle} counts. {motivation}",
        "New plan for my group: {exercise} and {exercise2}, {reps}. Who's in?",
        "Energy check! If {workout} felt easy, add weight. If it felt hard, {motivation}",
    ),
    slots={
        "workout": ("leg day", "a 5k tempo run", "hill sprints", "kettlebell swings", "a 20-minute HIIT circuit",
                    "deadlifts", "a mobility flow", "rowing intervals", "a burpee ladder", "a core circuit",
                    "a long easy run", "a push-up pyramid"),
        "reps": ("3x10", "5x5", "4x12", "10 rounds", "EMOM for 12 minutes", "AMRAP 15", "3 sets of 20"),
        "motivation": ("You've got this!", "Progress, not perfection.", "Show up for yourself today.",
                       "Small steps add up.", "Consistency beats intensity.", "Your only competition is yesterday's you.",
                       "Sweat now, shine later.", "Drink your water, champ!", "Strong is a feeling, not a look."),
        "time": ("6am", "lunch", "sunrise", "noon", "7pm", "5:30am"),
        "food": ("oats and berries", "a protein smoothie", "eggs on toast", "chicken and rice",
                 "greek yogurt with honey", "lentil soup", "a banana and peanut butter"),
        "client": ("one of my clients", "my 7am group", "my Tuesday bootcamp crew", "a 62-year-old client",
                   "my running club", "a brand-new member"),
        "achievement": ("hit a new deadlift PR", "ran her first 10k", "did a full push-up for the first time",
                        "held a 3-minute plank", "finished the couch to 5k plan", "squatted bodyweight",
                        "showed up 30 days in a row"),
        "muscle": ("glutes", "hamstrings", "core", "shoulders", "calves", "lats", "hip flexors"),
        "exercise": ("squats", "lunges", "push-ups", "mountain climbers", "jumping jacks", "plank jacks",
                     "glute bridges", "burpees", "step-ups"),
    },
    hashtags=("#fitness", "#motivation", "#legday", "#fitfam", "#NoExcuses", "#MondayMotivation", "#HIIT"),
    emojis=("💪", "💪🏾", "🏃‍♀️", "🔥", "🙌🏼", "🏋️‍♀️", "👊🏻", "🥇"),
    openers=("Let's go!", "Good morning, team!", "Coach's note:", "Real talk:", "Friendly reminder:", "Yes!",
             "Quick one:", "Hey team!"),
    friends=("@runwithraj", "@liftlikelena", "@gym_gus", "@move_with_mia"),
    foreign=(("es", "¡Vamos! Hoy toca {exercise}, sin excusas."),
             ("pt", "Bora treinar! Cada dia conta."),
             ("fr", "Séance de course ce matin, on ne lâche rien !"),
             ("de", "Heute Beintag. Keine Ausreden!")),
)

ASTRONOMER = Voice(
    name="astronomer",
    hints=("astro", "star", "sky", "space", "moon", "dr_"),  # dr_: a doctor, i.e. the scientist
    templates=(
        "Finally got {object} in {gear} at {hour}. Then the clouds rolled in. {wry}",
        "Forecast promised {sky}. Delivered: {sky2}. {wry}",
        "Fun fact: {fact}. {wry}",
        "{student} asked if {object} is a planet. We are now friends. {wry}",
        "Observing log, {hour}: {object}, {sky}, one cold coffee.",
        "Spent six hours calibrating {gear} for ten minutes of {object}. {wry}",
        "Reminder that {fact}. Think about that at {hour}.",
        "Tonight {object} is well placed after {hour}. So am I, apparently. {wry}",
        "The new data on {object} came back and it is, technically, interesting. {wry}",
        "Units matter. Please stop mixing {unit} and {unit2} on the same slide. {wry}",
        "Cloudy again. Rereading papers about {object} instead. {wry}",
        "Someone at open night asked me for horoscopes. I showed them {object} through {gear}.",
        "If you see {object} tonight, say hi from me. I'll be stuck under {sky}.",
        "Grant deadlines & {sky}: the astronomer's natural enemies. {wry}",
        "New paper out on {object}! {pages} pages, one joke the referee missed.",
        "My telescope costs more than my car and sees less than {student}. {wry}",
        "Why yes, I did drive two hours for {sky} and a glimpse of {object}. {wry}",
        "The Moon > the stars? Controversial, but only under {sky}.",
        "{student} wants to know how far away {object} is. In {unit}? In feelings? {wry}",
        "Packed {gear}, a thermos and three jumpers for {object}. Forecast: {sky}. {wry}",
        "Teaching tomorrow: why {fact}. {student} will ask about aliens. {wry}",
    ),
    slots={
        "object": ("Jupiter", "Saturn's rings", "the Orion Nebula", "the Andromeda galaxy", "the Pleiades", "Mars",
                   "a waning crescent Moon", "the Crab Nebula", "Betelgeuse", "a faint comet", "the Ring Nebula",
                   "the globular cluster M13", "Venus", "the Whirlpool galaxy"),
        "sky": ("clear skies", "a thin layer of cirrus", "total cloud cover", "terrible seeing",
                "surprisingly steady air", "a full Moon washing everything out", "fog, somehow"),
        "gear": ("the 8-inch Dobsonian", "the old refractor", "my binoculars", "the spectrograph",
                 "the observatory dome", "the CCD camera"),
        "fact": ("light from Andromeda left it 2.5 million years ago", "a day on Venus is longer than its year",
                 "neutron stars can spin 700 times a second",
                 "the Sun turns about 4 million tonnes of mass into light every second",
                 "Saturn would float in a bathtub big enough to hold it",
                 "Olympus Mons is nearly three times the height of Everest",
                 "the Moon drifts about 3.8 cm further from Earth every year"),
        "wry": ("The universe remains indifferent.", "Naturally.", "Science is mostly waiting.",
                "Peer review pending.", "Not that anyone asked.", "I'll be in the dome, sulking.",
                "Cosmic irony noted.", "The grant report will call this 'variable conditions'."),
        "hour": ("2am", "3:40am", "midnight", "dusk", "4am", "11pm"),
        "unit": ("parsecs", "light-years", "arcseconds", "magnitudes", "kelvin", "astronomical units"),
        "student": ("a first-year student", "my grad student", "a visitor at open night", "my neighbour",
                    "a six-year-old at the planetarium"),
        "pages": ("14", "23", "31", "48"),
    },
    hashtags=("#astronomy", "#astrophotography", "#space", "#NightSky", "#science", "#clouds"),
    emojis=("🔭", "🌌", "🪐", "🌙", "✨", "☁️", "🧑‍🚀", "🌠"),
    openers=("Update:", "Observing note:", "So.", "Well.", "Field report:", "Science news:", "For the record:",
             "Sigh."),
    friends=("@skywatcher_sue", "@orbit_oscar", "@darksky_dev", "@photon_phil"),
    foreign=(("fr", "Ciel dégagé ce soir, enfin ! {object} est magnifique."),
             ("de", "Wieder Wolken. Die Sterne machen Urlaub."),
             ("es", "Noche de observación: la Luna y Saturno juntos."),
             ("it", "Stasera cielo sereno, si osserva fino all'alba.")),
)

VOICES = (SAILOR, BAKER, COACH, ASTRONOMER)

SHARED_EMOJIS = ("😂", "❤️", "👍🏽", "😅", "🙏🏻", "🏳️‍🌈", "👨‍👩‍👧", "🤦🏼‍♀️")
SHORT_POSTS = ("lol", "yes!!", "ok wow", "brb", "same", "this 👆", "Good morning!", "nope", "haha true", "🙌")
LINK_FORMATS = ("https://t.co/{code}", "http://t.co/{code}", "pic.twitter.com/{code}",
                "https://www.instagram.com/p/{code}/", "https://blog.example.org/{code}")
START = datetime(2019, 3, 1, tzinfo=UTC)

# How often each kind of post or noise occurs, per post. Kinds of post are exclusive; the noise
# after them is independent. Rates are in the range of the real Twint exports in shared/data.
POST_KINDS = (("short", 0.03), ("foreign", 0.04), ("duplicate", 0.02), ("near_duplicate", 0.02))
NOISE = {"opener": 0.3, "retweet": 0.05, "reply": 0.12, "hashtags": 0.25, "emoji": 0.25, "link": 0.15,
         "escaped": 0.8, "whitespace": 0.04}


def read(handle: str, params):
    """``params.posts_per_account`` synthetic posts for ``handle``, the same ones for the same seed."""
    rng = random.Random(params.seed * 2**32 + stable_number(handle))
    voice = voice_for(handle)
    posts, when = [], START + timedelta(days=rng.randrange(365))
    for index in range(params.posts_per_account):
        text, language, kind = write_post(voice, rng, posts[-50:])
        when += timedelta(minutes=rng.randint(20, 2 * 24 * 60))
        posts.append({
            "id": f"demo-{handle}-{index:05d}",
            "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "text": text,
            "language": language,
            "reply": text.startswith("@"),  # only the reply noise starts a synthetic post with a mention
            "raw": {"synthetic": True, "voice": voice.name, "kind": kind},
        })
    return normalize(posts, handle, "demo")


def stable_number(text: str) -> int:
    """A number that depends only on ``text`` (``hash()`` changes from run to run)."""
    return zlib.crc32(text.encode("utf-8"))


def voice_for(handle: str) -> Voice:
    """The voice whose hint appears in the handle, else one chosen by a stable hash of it."""
    lowered = handle.lower()
    for voice in VOICES:
        if any(hint in lowered for hint in voice.hints):
            return voice
    return VOICES[stable_number(handle) % len(VOICES)]


def write_post(voice: Voice, rng: random.Random, recent: list[dict]) -> tuple[str, str, str]:
    """One post as (text, language code, kind of post); duplicates repeat one of ``recent``."""
    kind = pick_kind(rng)
    if kind in ("duplicate", "near_duplicate") and not recent:
        kind = "template"
    if kind == "short":
        text = rng.choice(SHORT_POSTS + voice.emojis)
        return text, "en" if re.search("[A-Za-z]", text) else "und", kind
    if kind == "foreign":
        language, template = rng.choice(voice.foreign)
        return fill(template, voice, rng), language, kind
    if kind == "duplicate":
        original = rng.choice(recent)
        return original["text"], original["language"], kind
    if kind == "near_duplicate":
        original = rng.choice(recent)
        return near_duplicate(original["text"], rng), original["language"], kind
    return add_noise(fill(rng.choice(voice.templates), voice, rng), voice, rng), "en", "template"


def pick_kind(rng: random.Random) -> str:
    draw = rng.random()
    for kind, rate in POST_KINDS:
        if draw < rate:
            return kind
        draw -= rate
    return "template"


def fill(template: str, voice: Voice, rng: random.Random) -> str:
    """The template with each ``{slot}`` replaced by a random entry of that slot's list, and each
    sentence capitalized (slot entries are lowercase so they fit mid-sentence too)."""
    text = re.sub(r"\{([a-z]+)\d*\}", lambda m: rng.choice(voice.slots[m.group(1)]), template)
    return re.sub(r"(^|[.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def add_noise(text: str, voice: Voice, rng: random.Random) -> str:
    """The clutter real posts carry, each kind at its rate in :data:`NOISE`."""
    if rng.random() < NOISE["opener"]:
        text = f"{rng.choice(voice.openers)} {text}"
    if rng.random() < NOISE["escaped"]:  # X's API escapes these in most exports, not all
        text = text.replace("&", "&amp;").replace(">", "&gt;")
    if rng.random() < NOISE["hashtags"]:
        text += " " + " ".join(rng.sample(voice.hashtags, rng.randint(1, 2)))
    if rng.random() < NOISE["emoji"]:
        text += " " + "".join(rng.choices(voice.emojis + SHARED_EMOJIS, k=rng.randint(1, 3)))
    if rng.random() < NOISE["link"]:
        code = "".join(rng.choices(string.ascii_letters + string.digits, k=10))
        text += rng.choice(("  ", " ", "   ")) + rng.choice(LINK_FORMATS).format(code=code)
    if rng.random() < NOISE["whitespace"]:
        text = rng.choice((text.replace(". ", ".  ", 1), text.replace(". ", ".\n\n", 1), text + "  ", " " + text))
    if rng.random() < NOISE["retweet"]:
        return f"RT {rng.choice(voice.friends)}: {text}"
    if rng.random() < NOISE["reply"]:
        return " ".join(rng.sample(voice.friends, rng.randint(1, 2))) + " " + text
    return text


def near_duplicate(text: str, rng: random.Random) -> str:
    """``text`` with different case or punctuation, as people repost."""
    variants = (text.lower(), text.upper(), text.rstrip(".!?") + "!!", text.replace(",", "").replace(".", ""))
    changed = [v for v in variants if v != text]
    return rng.choice(changed) if changed else text + "!"
