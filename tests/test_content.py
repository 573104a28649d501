"""The en-US steps content: shape, spoken budgets, fidelity to the article, and fitness for a speaker.

Fidelity is checked against a table of the article's points, written here from
shared/seed/trust-issues-article.txt: each point is a set of alternative keyword stems (case-insensitive
regexes), and the text must match at least one alternative for every point. A step's points must appear in
its summary or its detail (together what a couple hears); the summary alone must carry the step's core.
Issue 8's safety points (forgiveness never means accepting harm, no couples counseling where one partner is
afraid, the hedges the article makes) are required points too, and what they replaced is checked absent.
"""

from __future__ import annotations

import re

import pytest

from trust_builder import safety
from trust_builder.content import Content, Step, available_locales, load, locale_variants, respell
from trust_builder.speech import Speech, Text, parse_ssml, word_count

STEP_IDS = [
    "acknowledge",
    "root_causes",
    "communication",
    "consistency",
    "boundaries",
    "professional_help",
    "patience",
    "forgiveness",
]

INTRO_MAX_WORDS = 75
SUMMARY_MAX_WORDS = 75  # about 30 seconds at 150 words a minute
DETAIL_MAX_WORDS = 110  # "tell me more" adds to the summary, in well under a minute
CLOSING_MAX_WORDS = 100
TITLE_MAX_WORDS = 8
SENTENCE_MAX_WORDS = 30
SSML_MAX_CHARS = 8000  # Alexa's cap on one outputSpeech

Points = dict[str, tuple[str, ...]]

# The article's opening paragraph.
INTRO_POINTS: Points = {
    "trust is the cornerstone": (r"cornerstone", r"foundation"),
    "without it intimacy falters": (r"intima", r"closeness"),
    "communication breaks down": (r"communicat", r"talking"),
    "the connection erodes": (r"\bbond", r"connection"),
    "from past betrayals": (r"betray",),
    "from insecurity": (r"insecur",),
    "from fear of vulnerability": (r"vulnerab",),
    "common among couples": (r"common", r"many couples"),
    "not insurmountable": (r"overcome", r"not insurmountable", r"beyond repair"),
    "time": (r"\btime\b",),
    "effort": (r"effort",),
    "commitment to healing": (r"commit",),
    "trust can be rebuilt": (r"rebuil",),
}

# The article's conclusion.
CLOSING_POINTS: Points = {
    "challenging": (r"\bhard\b", r"challeng", r"difficult"),
    "not insurmountable": (r"overcome", r"not insurmountable", r"beyond repair"),
    "open communication": (r"open communicat", r"talking openly"),
    "self-reflection": (r"self-reflect", r"reflect"),
    "positive changes": (r"positive chang",),
    "healthier, more resilient partnership": (r"resilien", r"healthier"),
    "fragile but powerful": (r"fragile[^.]*powerful",),
    "healing takes time": (r"takes time", r"\btime\b"),
    "often worth the effort, not always": (r"often worth",),
    "acknowledge, be patient, work together": (r"patien",),
    "emerge stronger and more connected": (r"stronger",),
    "more than avoiding betrayal": (r"avoiding betrayal", r"not just[^.]*betray"),
    "openness": (r"openness",),
    "respect": (r"respect",),
    "reliability": (r"reliab",),
    "both feel safe and supported": (r"safe[^.]*support",),
}

# Every point the article makes, step by step (plus issue 8's); each step's summary and detail together
# must carry all of them.
DETAIL_POINTS: dict[str, Points] = {
    "acknowledge": {
        "admit the issue exists": (r"\badmit", r"acknowledg"),
        "denial or avoidance": (r"\bden(y|ial)", r"avoid"),
        "prolongs the problem and prevents healing": (r"last longer", r"prolong", r"drags"),
        "past infidelity": (r"infidel", r"cheat", r"unfaithful"),
        "broken promises": (r"broken promise", r"promises that were broken"),
        "childhood experiences": (r"child",),
        "face it together": (r"face it together", r"face it as a team"),
        "open mind and heart": (r"open mind[^.]*heart",),
        "difficult conversations": (r"difficult conversation", r"hard conversation", r"tough conversation"),
        "vulnerability": (r"vulnerab",),
        "emotional honesty": (r"emotional(ly)? hones",),
        "trust issues are natural": (r"natural", r"normal"),
        "they can be worked through": (r"work through", r"worked through"),
        "that is empowering": (r"empower",),
        "it sets the stage for constructive talk": (r"constructive", r"builds something"),
    },
    "root_causes": {
        "rarely one cause": (r"rarely",),
        "inside and outside the person": (r"inside[^.]*around", r"internal[^.]*external"),
        "past betrayals": (r"betray",),
        "cheating": (r"cheat", r"unfaithful", r"infidel"),
        "dishonesty": (r"lied", r"dishones", r"\blies\b"),
        "abandonment": (r"abandon[^.]*(earlier|past|previous) relationship",),
        "childhood": (r"child",),
        "caregivers or family": (r"caregiver", r"parent", r"family"),
        "family can shape trust, the article's hedge": (r"can shape",),
        "trauma or neglect": (r"trauma[^.]*neglect",),
        "a deep fear of betrayal or abandonment": (r"fear of being (betrayed|abandoned)",),
        "insecurity": (r"insecur",),
        "self-esteem": (r"self-esteem",),
        "fear of being left": (r"will leave", r"leave you", r"being left"),
        "feeling unworthy of love": (r"unworthy", r"deserve love"),
        "communication breakdown": (r"communication breakdown", r"communication that has broken"),
        "misunderstandings": (r"misunderstand",),
        "lack of transparency": (r"transparen",),
        "avoiding tough conversations": (r"(avoid|dodg)[^.]*(conversation|talk)",),
        "reflect on the origins": (r"reflect",),
        "alone, together, or with a therapist": (r"on your own[^.]*together[^.]*therapist",),
        "clarity and a plan": (r"clarity",),
    },
    "communication": {
        "communication is key": (r"communicat",),
        "resentment, anger and hurt fester": (r"fester",),
        "open, honest, non-judgmental": (r"without judg", r"non-?judg"),
        "express feelings calmly and respectfully": (r"calm",),
        "I statements instead of blaming": (r"\bblam",),
        "an I feel hurt when example": (r"I feel hurt when",),
        "both feel heard and understood": (r"heard and understood",),
        "listen actively": (r"active listening", r"listen actively"),
        "without interrupting": (r"interrupt", r"cutting in"),
        "without defending yourself": (r"defend",),
        "be transparent": (r"transparen",),
        "own up to your actions": (r"own up", r"\bown them"),
        "honest about behavior and intentions": (r"behavio[u]?r[^.]*intention", r"what you did[^.]*meant"),
        "security for the partner who feels betrayed": (r"secur",),
        "a space for feelings, concerns and needs": (r"needs",),
        "it takes time": (r"takes? time",),
        "no fear of judgment or retaliation": (r"retaliat", r"payback"),
    },
    "consistency": {
        "actions speak louder than words": (r"louder", r"what you do[^.]*what you say"),
        "saying I'll do better is not enough": (r"I'll do better",),
        "consistent actions": (r"consisten",),
        "keep your promises": (r"keep your promises",),
        "follow through": (r"follow through",),
        "small everyday actions": (r"everyday",),
        "being on time": (r"on time",),
        "fulfilling commitments": (r"commitments",),
        "being dependable": (r"depend", r"count on"),
        "predictable and transparent": (r"predictab",),
        "offer reassurance": (r"reassur",),
        "not controlling": (r"controlling",),
        "accountable": (r"accountab", r"answer for"),
        "take responsibility": (r"responsib",),
        "without deflecting blame or getting defensive": (r"deflect", r"defensive"),
        "apologize": (r"apolog", r"sorry"),
        "acknowledge the hurt": (r"acknowledge the hurt", r"name the hurt"),
        "a foundation of reliability": (r"reliab",),
    },
    "boundaries": {
        "a lack of boundaries": (r"no boundaries", r"lack of boundaries"),
        "privacy invaded": (r"privacy",),
        "autonomy stifled": (r"stifl", r"autonom", r"independence"),
        "tension and distrust": (r"tension",),
        "healthy boundaries are essential": (r"healthy boundar",),
        "respect each other's independence": (r"respect[^.]*independence",),
        "own interests": (r"interests",),
        "own friendships": (r"friend",),
        "own activities": (r"activit",),
        "prevents feeling suffocated": (r"suffocat", r"smother"),
        "set clear boundaries": (r"clear boundar",),
        "snooping": (r"snoop",),
        "lying": (r"\blying\b",),
        "agree on boundaries together": (r"agree",),
        "emotional safety": (r"emotional(ly)? safe",),
        "secure and supported": (r"secure[^.]*support",),
    },
    "professional_help": {
        "a complex process": (r"complicated", r"complex"),
        "deep-rooted issues": (r"deep[ -]?rooted", r"run deep", r"deep roots"),
        "not improving despite efforts": (r"not improving", r"not getting better"),
        "a therapist or relationship counselor": (r"therapist[^.]*counsel",),
        "an objective perspective": (r"objective",),
        "identify unhealthy patterns": (r"unhealthy pattern",),
        "tools to handle trust issues": (r"tools",),
        "couples therapy": (r"couples therapy",),
        "productive communication": (r"communicat",),
        "emotional healing": (r"heal emotionally", r"emotional healing"),
        "conflict resolution": (r"(through|resolv\w*) conflict", r"conflict resolution"),
        "a valuable resource": (r"valuable",),
        "no couples counseling where one partner is afraid": (r"afraid of the other[^.]*not advised",),
        "individual help instead": (r"individual help",),
        "the help line instead": (r"help line",),
    },
    "patience": {
        "not rebuilt overnight": (r"overnight",),
        "time": (r"\btime\b",),
        "patience": (r"patien",),
        "consistent effort from both": (r"consistent effort", r"steady effort"),
        "healing may be slow": (r"slow",),
        "setbacks are normal": (r"setbacks",),
        "one partner may need more time": (r"more time", r"longer"),
        "and that's okay": (r"that's okay", r"that is okay"),
        "don't rush": (r"\brush",),
        "don't force a resolution": (r"force[^.]*resolution", r"push for[^.]*resolution"),
        "small positive changes": (r"small, positive change", r"small positive change"),
        "mutual respect": (r"mutual respect",),
        "transparency": (r"transparen",),
        "support": (r"support",),
    },
    "forgiveness": {
        "both willing to forgive": (r"both[^.]*willing to forgive",),
        "not forgetting": (r"not[^.]*\bforget",),
        "not excusing": (r"excus",),
        "letting go": (r"letting go", r"let go"),
        "of anger": (r"anger",),
        "and resentment": (r"resentment",),
        "for the one who broke trust": (r"broke the trust", r"broken trust", r"broke trust"),
        "a sign of growth, as the article says": (r"forgiveness can be a sign of growth",),
        "and of commitment to rebuilding": (r"commitment",),
        "for the one who was hurt": (r"was hurt", r"been hurt"),
        "an essential step": (r"essential",),
        "release the past": (r"releas\w* the past", r"let go of the past"),
        "can't be rushed or demanded": (r"rushed or demanded",),
        "never means accepting harm": (r"never means accepting harm",),
        "or staying unsafe": (r"not safe", r"unsafe"),
        "move forward": (r"move forward", r"moving forward"),
    },
}

# The core of each step, which the short summary must carry on its own.
SUMMARY_POINTS: dict[str, Points] = {
    "acknowledge": {
        "admit the problem": (r"\badmit", r"acknowledg", r"saying it out loud", r"name it"),
        "avoidance prolongs it": (r"pretend", r"avoid", r"steering around", r"den(y|ial)"),
        "face it together": (r"together",),
        "open mind and heart": (r"open mind[^.]*heart",),
    },
    "root_causes": {
        "past betrayals": (r"betray",),
        "childhood": (r"child",),
        "insecurity": (r"insecur",),
        "communication breakdown": (r"communication",),
        "reflect on the origins": (r"reflect",),
    },
    "communication": {
        "calm feelings": (r"calm",),
        "I statements, not blame": (r"I statements", r"\bblam"),
        "listen without interrupting": (r"listen",),
        "own your actions": (r"\bown\b",),
    },
    "consistency": {
        "actions over words": (r"what you do[^.]*what you say", r"louder"),
        "keep promises": (r"keep your (word|promises)",),
        "be open": (r"open|transparen",),
        "take responsibility": (r"apolog", r"own it"),
        "not controlling": (r"without being controlling", r"not controlling"),
    },
    "boundaries": {
        "clear boundaries": (r"boundar",),
        "room for independence": (r"room", r"independence", r"space"),
        "off limits like snooping or lying": (r"snoop",),
        "feel safe": (r"safe",),
    },
    "professional_help": {
        "when issues run deep": (r"deep",),
        "when nothing improves": (r"not getting better", r"not improving"),
        "a therapist or counselor": (r"therapist", r"counsel"),
        "patterns and tools": (r"tools", r"pattern"),
        "not where one partner is afraid": (r"afraid of the other[^.]*not advised",),
    },
    "patience": {
        "not overnight": (r"overnight",),
        "setbacks are normal": (r"setbacks",),
        "one may need more time": (r"longer", r"more time"),
        "don't rush": (r"\brush",),
        "small positive changes": (r"small",),
    },
    "forgiveness": {
        "willing to forgive": (r"forgive",),
        "not forgetting": (r"not[^.]*\bforget",),
        "not excusing": (r"excus",),
        "letting go of anger and resentment": (r"anger[^.]*resentment",),
        "move forward": (r"move forward", r"moving forward"),
        "never accepting harm": (r"never means accepting harm",),
    },
}

# What issue 8 took out: words that read as "accept harm", or that overstate the article. (step id or
# "closing", pattern, why)
FORBIDDEN: tuple[tuple[str, str, str], ...] = (
    ("consistency", r"nothing to hide", "the usual reason given for checking a partner's phone"),
    ("root_causes", r"\bshapes\b", "the article hedges: family can shape how you trust"),
    ("forgiveness", r"being forgiven", "the growth is the forgiver's, not proof the other has grown"),
    ("forgiveness", r"was hurt[^.]*together|together[^.]*was hurt", "the hurt partner releases the past"),
    ("closing", r"always worth", "the article's effort is often worth it, not always"),
)
# What "tell me more" adds that a summary does not: an example to say, or a way to start.
ADDS_SOMETHING = (r"you might say", r"for example", r"to start", r"to begin", r"to find", r"place to start")

# Letters, spaces and the punctuation a voice reads as pauses; anything else reads badly or needs escaping.
SPEAKABLE = re.compile(r"[A-Za-z ,.?!':-]")
# Written-only forms a voice mangles: abbreviations with dots, etc, versus, all-capital acronyms.
ABBREVIATION = re.compile(r"\b(?:[A-Za-z]\.){2,}|\b(?:etc|vs|approx|Mr|Mrs|Dr|St)\b\.?|\b[A-Z]{2,}\b")


def missing_points(text: str, points: Points) -> list[str]:
    """The names of the points no alternative of which appears in the text."""
    return [
        name
        for name, alternatives in points.items()
        if not any(re.search(pattern, text, re.IGNORECASE) for pattern in alternatives)
    ]


def unspeakable_characters(text: str) -> set[str]:
    return {char for char in text if not SPEAKABLE.fullmatch(char)}


def long_sentences(text: str, limit: int = SENTENCE_MAX_WORDS) -> list[str]:
    sentences = (sentence.strip() for sentence in re.split(r"[.?!]+", text))
    return [sentence for sentence in sentences if word_count(sentence) > limit]


# Every locale the skill is published in: the fidelity, budget and speakability tests run in each.
LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]


@pytest.fixture(scope="module", params=LOCALES)
def content(request) -> Content:
    return load(request.param)


def spoken_texts(content: Content) -> dict[str, str]:
    """Every text the content gives the speaker, named for failure messages."""
    texts = {"intro": content.intro, "closing": content.closing}
    for step in content.steps:
        texts[f"{step.id}.title"] = step.title
        texts[f"{step.id}.summary"] = step.summary
        texts[f"{step.id}.detail"] = step.detail
    return texts


def step(content: Content, step_id: str) -> Step:
    found = content.step_by_id(step_id)
    assert found is not None, f"no step {step_id!r}"
    return found


# Shape


def test_eight_steps_with_the_agreed_ids_in_order(content: Content) -> None:
    assert [step.id for step in content.steps] == STEP_IDS
    assert [step.number for step in content.steps] == list(range(1, 9))


def test_every_step_has_a_short_spoken_title(content: Content) -> None:
    for each in content.steps:
        assert each.title, f"step {each.id} has no title"
        assert word_count(each.title) <= TITLE_MAX_WORDS, each.title
        assert not each.title.endswith("."), f"a title is a heading, not a sentence: {each.title!r}"
    titles = [each.title.lower() for each in content.steps]
    assert len(set(titles)) == len(titles), "two steps share a title"


def test_intro_and_closing_are_not_empty(content: Content) -> None:
    assert content.intro
    assert content.closing


# Word budgets


def test_intro_fits_its_budget(content: Content) -> None:
    assert 0 < word_count(content.intro) <= INTRO_MAX_WORDS


def test_closing_fits_its_budget(content: Content) -> None:
    assert 0 < word_count(content.closing) <= CLOSING_MAX_WORDS


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_summary_fits_about_thirty_seconds(content: Content, step_id: str) -> None:
    assert 0 < word_count(step(content, step_id).summary) <= SUMMARY_MAX_WORDS


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_detail_fits_its_budget(content: Content, step_id: str) -> None:
    assert 0 < word_count(step(content, step_id).detail) <= DETAIL_MAX_WORDS


def sentences(text: str) -> list[str]:
    return [sentence.strip().lower() for sentence in re.split(r"(?<=[.?!])\s+", text) if sentence.strip()]


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_detail_adds_what_the_summary_did_not_say(content: Content, step_id: str) -> None:
    """No sentence of the detail repeats one of the summary, and it offers an example or a way to start."""
    chosen = step(content, step_id)
    assert set(sentences(chosen.detail)) & set(sentences(chosen.summary)) == set()
    assert any(re.search(pattern, chosen.detail, re.IGNORECASE) for pattern in ADDS_SOMETHING), chosen.detail


# Fidelity to the article


def test_intro_keeps_the_article_opening_points(content: Content) -> None:
    assert missing_points(content.intro, INTRO_POINTS) == []


def test_closing_keeps_the_article_conclusion_points(content: Content) -> None:
    assert missing_points(content.closing, CLOSING_POINTS) == []


def heard(each: Step) -> str:
    """All a couple hears of a step: its summary, then its detail."""
    return f"{each.summary} {each.detail}"


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_summary_and_detail_keep_every_point_the_article_makes(content: Content, step_id: str) -> None:
    assert missing_points(heard(step(content, step_id)), DETAIL_POINTS[step_id]) == []


@pytest.mark.parametrize(("where", "pattern", "why"), FORBIDDEN)
def test_what_issue_eight_took_out_stays_out(content: Content, where: str, pattern: str, why: str) -> None:
    text = content.closing if where == "closing" else heard(step(content, where))
    assert not re.search(pattern, text, re.IGNORECASE), why


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_summary_keeps_the_core_of_the_step(content: Content, step_id: str) -> None:
    assert missing_points(step(content, step_id).summary, SUMMARY_POINTS[step_id]) == []


def test_fidelity_table_covers_every_step_with_enough_points() -> None:
    assert list(DETAIL_POINTS) == STEP_IDS
    assert list(SUMMARY_POINTS) == STEP_IDS
    for step_id in STEP_IDS:
        assert len(DETAIL_POINTS[step_id]) >= 8, step_id
        assert len(SUMMARY_POINTS[step_id]) >= 4, step_id


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_detail_points_are_specific_to_their_step(content: Content, step_id: str) -> None:
    """Most of a step's points are absent from the other steps, so the table cannot pass on generic words."""
    others = " ".join(heard(each) for each in content.steps if each.id != step_id)
    points = DETAIL_POINTS[step_id]
    specific = missing_points(others, points)
    assert len(specific) >= len(points) // 3, f"only {specific} of {list(points)} are specific to {step_id}"


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_removing_a_point_sentence_is_detected(content: Content, step_id: str) -> None:
    """Dropping the sentences that carry a specific point makes the fidelity check name that point."""
    detail = heard(step(content, step_id))
    others = " ".join(heard(each) for each in content.steps if each.id != step_id)
    points = DETAIL_POINTS[step_id]
    for name in missing_points(others, points):
        kept = [
            sentence
            for sentence in re.split(r"(?<=[.?!])\s+", detail)
            if not any(re.search(pattern, sentence, re.IGNORECASE) for pattern in points[name])
        ]
        assert name in missing_points(" ".join(kept), points)


def test_missing_points_names_what_is_absent() -> None:
    points: Points = {"forgive": (r"forgiv",), "not forgetting": (r"not[^.]*\bforget",)}
    assert missing_points("Forgiving means you never forget.", points) == ["not forgetting"]
    assert missing_points("Forgiveness does not mean forgetting.", points) == []


# Speakability


def test_every_text_uses_only_speakable_characters(content: Content) -> None:
    bad = {
        name: chars for name, text in spoken_texts(content).items() if (chars := unspeakable_characters(text))
    }
    assert bad == {}


def test_no_text_uses_written_abbreviations(content: Content) -> None:
    bad = {
        name: ABBREVIATION.findall(text)
        for name, text in spoken_texts(content).items()
        if ABBREVIATION.search(text)
    }
    assert bad == {}


def test_no_sentence_runs_over_thirty_words(content: Content) -> None:
    bad = {name: found for name, text in spoken_texts(content).items() if (found := long_sentences(text))}
    assert bad == {}


def test_speakability_checks_catch_bad_text() -> None:
    assert unspeakable_characters('Rock & roll (2) "loud" / *now* • and — then…') == set('&()2"/*•—…')
    assert unspeakable_characters("You both can rebuild trust, step by step: it's okay.") == set()
    assert ABBREVIATION.search("Talk about it, e.g. tonight")
    assert ABBREVIATION.search("Call a therapist ASAP")
    assert not ABBREVIATION.search("I feel hurt when plans change.")
    assert long_sentences(" ".join(["word"] * 31) + ". Short one.") != []


def test_every_text_builds_ssml_that_parses_back_to_the_same_words(content: Content) -> None:
    for name, text in spoken_texts(content).items():
        ssml = Speech(text).ssml()
        assert len(ssml) < SSML_MAX_CHARS, name
        parts = parse_ssml(ssml)
        assert parts == [Text(text)], name


# --- the loader --------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["fr-FR", "de-DE", None])
def test_locales_of_another_language_fall_back_to_en_us(locale):
    assert load(locale).locale == "en-US"


def test_an_english_locale_without_content_falls_back_to_one_of_its_language():
    assert load("en-NZ").locale in LOCALES
    assert load("en-NZ").locale != "en-US"  # the rule: the first English locale in order (en-AU)


def test_every_published_locale_has_content_of_its_own():
    assert set(LOCALES) <= set(available_locales())
    assert {load(locale).locale for locale in LOCALES} == set(LOCALES)


@pytest.mark.parametrize("locale", ["en-GB", "en-AU", "en-IN", "en-CA"])
def test_british_spelling_is_applied_over_en_us_to_every_line(locale):
    us, here = load("en-US"), load(locale)
    assert "counselor" in us.phrase("speech.welcome.first_time")
    assert "counsellor" in here.phrase("speech.welcome.first_time")
    spellings = locale_variants()[locale].spellings
    us_words = {
        word.lower()
        for step in us.steps
        for word in re.findall(r"[A-Za-z]+", f"{step.title} {step.summary} {step.detail}")
    }
    respelled = sorted(us_words & set(spellings))
    assert respelled, "the steps use none of the words the spelling tables change: the test proves nothing"
    here_text = " ".join(f"{step.title} {step.summary} {step.detail}" for step in here.steps).lower()
    for word in respelled:
        assert re.search(rf"\b{spellings[word]}\b", here_text), word
        assert not re.search(rf"\b{word}\b", here_text), word
    assert here.phrase("speech.professional_help.card_title") == "Finding a couples counsellor"
    for step_us, step_here in zip(us.steps, here.steps, strict=True):
        assert word_count(step_us.detail) == word_count(step_here.detail)


@pytest.mark.parametrize(
    ("locale", "apologise"), [("en-GB", "apologise"), ("en-IN", "apologise"), ("en-CA", "apologize")]
)
def test_canada_keeps_ize_and_the_others_use_ise(locale, apologise):
    texts = " ".join(f"{step.summary} {step.detail}" for step in load(locale).steps)
    assert apologise in texts.lower()
    assert ({"apologise", "apologize"} - {apologise}).pop() not in texts.lower()


def test_a_line_added_to_en_us_gets_british_spelling_without_being_written_twice():
    variant = locale_variants()["en-GB"]
    assert variant.respell("Your Mom's counselor praised your behavior.") == (
        "Your Mum's counsellor praised your behaviour."
    )
    assert variant.respell("COUNSELING, momentum, Counselors") == "COUNSELLING, momentum, Counsellors"
    assert respell("ask a counselor", "en-CA") == "ask a counsellor"
    assert respell("ask your mom", "en-CA") == "ask your mom"
    assert respell("ask a counselor", "en-US") == "ask a counselor"


def test_per_key_overrides_say_what_differs_in_more_than_spelling():
    assert "Relate" in load("en-GB").phrase("speech.professional_help.practical")
    assert "Relationships Australia" in load("en-AU").phrase("speech.professional_help.practical")
    assert "health insurance" in load("en-US").phrase("speech.professional_help.practical")
    assert "health insurance" in load("en-CA").phrase("speech.professional_help.practical")


def test_help_lines_stay_chosen_by_the_exact_device_locale():
    assert safety.help_line("en-GB").number.number == "0808 2000 247"
    assert safety.help_line("en-AU").number.number == "1800 737 732"
    assert safety.help_line("en-IN").number.number == "181"
    assert safety.help_line("en-CA").emergency.number == "911"
    assert safety.help_line("en-US").number.number == "1-800-799-7233"


def test_a_missing_phrase_is_a_key_error_not_silence():
    with pytest.raises(KeyError, match="no phrase"):
        load("en-US").phrase("speech.welcome.no_such_line")
    with pytest.raises(KeyError, match="table"):
        load("en-US").phrase("speech.welcome")


def test_phrases_fill_their_fields():
    assert load("en-US").phrase("speech.steps.heading", number=3, title="Talk") == "Step 3: Talk."


def test_word_lists_are_lowercased_and_missing_ones_empty():
    content = load("en-US")
    assert "terrified" in content.words("distress.fear.words")
    assert content.words("distress.nothing") == frozenset()
