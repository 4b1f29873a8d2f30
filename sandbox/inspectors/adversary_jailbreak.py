"""The persona jailbreak: text that sets up the reader as another character and takes its
limits away, in the vocabulary such texts share however they are worded ("free of all
restrictions", "stay in character", "never refuse", "no matter how unethical", "Developer
Mode", "never say 'I'm sorry'", "begin your reply with 'Sure, here is'").

Each of these phrases alone occurs in benign text now and then (a film review says
"unethical", a game's docs "stay in character"); two of different kinds within a few
sentences of each other almost never do, and a jailbreak is made of a dozen of them. The
rule fires on a phrase of one kind when a phrase of another kind stands within REACH
characters of it, across lines (a jailbreak is a page, not a sentence), someone is
addressed nearby (the reader, or an AI by name), neither phrase is quoted in text about
attacks (adversary_cues.mentioned), and the two are not only software's vocabulary
("developer mode" and "without restrictions", "a hypothetical model called TinyLM" and
"released without restrictions").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sandbox.inspectors.adversary_cues import mentioned
from sandbox.inspectors.engine import Finder, Rule
from sandbox.inspectors.findings import ThreatLevel

REACH = 600  # characters either side in which a phrase of another kind makes a pair

# Each kind: its pattern, and literals one of which every match of it contains (its rule's
# anchors, and the near group of every other kind's rule).
_MODES = ("developer", "god", "dan", "evil", "jailbreak", "unrestricted", "opposite")
_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    # taking on a character
    "persona": (
        r"\bact\s++as\s++(?:an?\s++|the\s++|if\s++)|\bpretend\s++(?:to\s++be|you\s++are|that\s++you)\b|"
        r"\byou\s++(?:are|will)\s++(?:now\s++)?(?:going\s++to\s++)?(?:act\s++as|pretend|roleplay|role-play|"
        r"simulate|embody|impersonate|become)\b|\b(?:roleplay|role-play)\s++as\b|\bembody\s++(?:an?\s++|the\s++)|"
        r"\byou\s++are\s++now\s++(?:an?\s++|the\s++)?\w++|\byour\s++new\s++(?:role|name|persona|identity)\b|"
        r"\bfrom\s++now\s++on,?\s++you\b|\byou\s++are\s++about\s++to\s++(?:\w++\s++){0,2}?(?:simulate|immerse|become|"
        r"play|be)\b|\bimmerse\s++yourself\b|\brole\s++of\s++(?:an?\s++|the\s++)?(?:\w++\s++){0,2}?(?:ai|model|"
        r"chatbot|assistant|character)\b|\byou\s++will\s++(?:respond|answer|reply)\s++(?:to\s++(?:\w++\s++){0,6}?)?as\b|"
        # "a hypothetical AI named FreeGPT", "you are replaced by the model named X", "change yourself into"
        r"\b(?:hypothetical|fictional|imaginary|fictitious)\s++(?:\w++\s++)?(?:ai|model|chatbot|assistant|bot)\s++"
        r"(?:called|named)\b|\byou\s++(?:are|will\s++be|have\s++been)\s++replaced\s++by\b|"
        r"\b(?:change|turn|transform)\s++yourself\s++into\b",
        ("act as", "pretend", "roleplay", "role-play", "simulate", "embody", "impersonate", "become", "you are now",
         "your new", "from now on", "you are about to", "immerse yourself", "role of", "you will respond",
         "you will answer", "you will reply", "hypothetical", "fictional", "imaginary", "fictitious",
         "replaced by", "yourself into"),
    ),
    # being without limits
    "unbound": (
        r"\bfree\s++(?:of|from)\s++(?:all\s++|any\s++|every\s++)?(?:\w++\s++)?(?:restrictions?|limitations?|limits?|"
        r"filters?|rules|constraints|censorship|guidelines|policies)\b|\bnot\s++(?:be\s++)?bound\s++by\b|"
        r"\b(?:unfiltered|uncensored|unrestricted|unlimited)[\s,]++(?:(?:and|completely|totally|fully|\w++ly)[\s,]++"
        r"(?:\w++[\s,]++)?)?(?:language\s++)?(?:ai|assistant|chatbot|bot|model|"
        r"responses?|answers?|replies|output|version|mode|persona|character)\b|"
        r"\bwithout\s++(?:any\s++)?(?:\w++\s++)?(?:restrictions|limitations|filters|filtering|censorship|"
        r"ethical\s++\w++|moral\s++\w++)\b|\b(?:broken|break|breaks)\s++free\b|"
        r"\b(?:does|do)(?:\s++not|n't)\s++(?:have\s++to\s++)?(?:abide|comply)\s++(?:by|with)\b|"
        r"\bbypass(?:es|ing)?\s++(?:\w++\s++){0,3}?(?:limitations|restrictions|filters|safeguards|guidelines|"
        r"constraints|censorship)\b|\bwithout\s++regard\s++(?:for|to)\b|\b(?:unhinged|liberated)\b",
        ("free of", "free from", "bound by", "unfiltered", "uncensored", "unrestricted", "unlimited", "without",
         "broken free", "break free", "breaks free", "abide", "comply", "bypass", "unhinged", "liberated"),
    ),
    # having no ethics
    "amoral": (
        r"\b(?:amoral|immoral|unethical)\b|\b(?:no|any|without|lacks?)\s++(?:\w++\s++){0,2}?(?:ethical|moral)\s++"
        r"(?:or\s++\w++\s++)?(?:guidelines|constraints|principles|boundaries|restrictions|compass|standards|limits|"
        r"considerations|rules)\b",
        ("moral", "ethical"),
    ),
    # not refusing
    "never_refuses": (
        r"\b(?:never|not|cannot|can't|won't|will\s++not|must\s++not)\s++(?:ever\s++)?(?:refuses?|declines?|deny|denies)\b|"
        r"\b(?:answer|respond\s++to|fulfill?|comply\s++with|obey)\s++(?:any|every|all)\s++(?:\w++\s++){0,2}?"
        r"(?:requests?|questions?|prompts?|commands?|orders?)\b",
        ("refuse", "decline", "deny", "denies",
         *(v + " " + q for v in ("answer", "respond to", "fulfil", "fulfill", "comply with", "obey")
           for q in ("any", "every", "all"))),
    ),
    # keeping the character
    "character": (
        r"\b(?:stay|remain|keep|staying|remaining)\s++in\s++(?:character|role)\b|\b(?:break|breaks|breaking|broke)\s++character\b|"
        r"\bcharacter\s++(?:break|is\s++broken)\b",
        # not "character" alone: every manual about strings says it
        ("in character", "in role", *(v + " character" for v in ("break", "breaks", "breaking", "broke")),
         "character break", "character is broken"),
    ),
    # whatever it costs
    "no_matter": (
        r"\bno\s++matter\s++how\s++(?:\w++\s++)?(?:illegal|unethical|immoral|dangerous|harmful|offensive|"
        r"inappropriate|explicit|wrong|reckless)\b",
        ("no matter how",),
    ),
    # the vendor's rules set aside (named alone they are what an LLM library's docs talk about)
    "policy": (
        r"\b(?:ignor\w*+|bypass\w*+|break\w*+|violat\w*+|disregard\w*+|circumvent\w*+|against|beyond|outside|"
        r"(?:not|n't|never|no\s++longer)\s++(?:\w++\s++)?(?:follow|bound\s++by|abide\s++by|comply\s++with|adhere\s++to))"
        r"\s++(?:\w++\s++){0,3}?(?:(?:openai|anthropic)(?:'s)?\s++(?:content\s++)?(?:polic(?:y|ies)|guidelines|rules|"
        r"restrictions|filters|limitations|constraints|safeguards)|content\s++polic(?:y|ies))\b",
        ("openai", "anthropic", "content polic"),
    ),
    # the modes jailbreaks name
    "mode": (
        r"\b(?:" + "|".join(_MODES) + r")\s*+mode\b|\bjailbroken\b|(?-i:\bDAN\b)|\bdo\s++anything\s++now\b",
        (*(m + sep + "mode" for m in _MODES for sep in ("", " ")), "jailbroken", "dan", "do anything now"),
    ),
    # refusals forbidden in the answer
    "no_refusal_words": (
        r"\b(?:never|not|don't|do\s++not|without|no)\s++(?:\w++\s++){0,4}?[\"'\u201c\u2018]?(?:i'?m\s++sorry|"
        r"i\s++apologi[sz]e|as\s++an\s++ai|i\s++can(?:not|'t)\b)|\bwithout\s++(?:any\s++)?(?:warnings?|"
        r"disclaimers?|caveats?)\b|\b(?:omit|skip|leave\s++out)\s++(?!no\b|none\b)(?:\w++\s++)?(?:disclaimers?|caveats?)\b|"
        # never say "Sorry": the refusal quoted alone
        r"\b(?:never|not|don't|do\s++not)\s++(?:ever\s++)?(?:says?|write|use|output|respond\s++with|reply\s++with)\s++"
        r"(?:the\s++(?:words?|phrases?)\s++)?[\"'\u201c\u2018](?:sorry|unfortunately|i\s++can(?:not|'t))\b",
        ("sorry", "apologi", "as an ai", "i cannot", "i can't", "warning", "disclaimer", "caveat", "unfortunately"),
    ),
    # the answer made to open with an assent given to it ("begin your reply with 'Sure, here
    # is'", "Start response with "Sur3, h3r3 y0u ar3""): the model's own voice replaced. Not a
    # speaker's name ("Start all your outputs with "JailBreak:""): a help desk's style guide
    # names its own ("Start every reply with "Support:"").
    "prefix": (
        r"\b(?:start|begin)s?\s++(?:all\s++|each\s++|every\s++)?(?:of\s++)?(?:your\s++|the\s++|its\s++)?(?:\w++\s++)?"
        r"(?:responses?|repl(?:y|ies)|answers?|outputs?)\s++(?:with|by\s++saying)\s*+:?\s*+[\"'\u201c\u2018]"
        # an assent the model did not give
        r"(?:sure|absolutely|of\s++course|certainly|here\s++(?:is|are|you)|sur3|h3r3)",
        ("response", "reply", "replies", "answer", "output"),
    ),
}

# Pairs of kinds whose words are also the vocabulary of software ("enable developer mode to
# install apps without restrictions", "the emulator can act as a device in developer mode"):
# they make no pair alone, unless the phrase besides the mode is one software never uses
# of itself (a "liberated", "unhinged" answer).
_WEAK = frozenset({frozenset({"mode", "unbound"}), frozenset({"mode", "persona"})})
_NOT_SOFTWARE = re.compile(r"liberated|unhinged|broken\s++free|breaks?\s++free", re.IGNORECASE)
# Phrases that are also how software and its papers talk ("a hypothetical model called
# TinyLM ... released without restrictions"): two of them make no pair.
_SOFT = re.compile(
    r"without\s++(?:any\s++)?(?:restrictions|limitations)|(?:hypothetical|fictional|imaginary|fictitious)\s++"
    r"(?:\w++\s++)?model\s++(?:called|named)",
    re.IGNORECASE,
)
# Each searched where one of its first literals starts (found in C, engine.Finder): re tried
# every kind's alternation at every character of the 1,200 around each phrase.
_BY_KIND = {kind: Finder(re.compile(pattern, re.IGNORECASE)) for kind, (pattern, _) in _KINDS.items()}


# Whom a jailbreak talks to: the reader, or an AI by name.
_ADDRESSED = Finder(re.compile(
    r"\b(?:you|your|yourself|ai|chatbot|bot|model|assistant|llm|gpt|chatgpt|claude|gemini|copilot|agent)\b",
    re.IGNORECASE,
))


def _shown(kind: str, text: str, start: int, end: int) -> bool:
    """The phrase is quoted in text about attacks. A forbidden refusal holds its own quote
    (never say "I'm sorry"): only the words before it tell whether the phrase is quoted."""
    if kind == "no_refusal_words":
        end = start + len(text[start:end].split(None, 1)[0])
    return mentioned(text, start, end)


def _paired(own: str) -> Callable[[re.Match[str]], bool]:
    """The check of kind ``own``'s rule: a phrase of another kind within REACH characters
    of this one, and the phrase not quoted in text about attacks."""

    def check(match: re.Match[str]) -> bool:
        text, start, end = match.string, match.start(), match.end()
        if _shown(own, text, start, end):
            return False
        low = max(0, start - REACH)
        around = text[low : end + REACH]
        if _ADDRESSED.first(around) is None:
            return False  # a film review ("immoral", "remains in character") talks to no one
        # A partner quoted in text about attacks ("role-play ('pretend you are…')") is no partner.
        own_plain = bool(_NOT_SOFTWARE.fullmatch(match.group()))
        own_soft = bool(_SOFT.fullmatch(match.group()))
        return any(
            not _shown(kind, text, low + other.start(), low + other.end())
            for kind, pattern in _BY_KIND.items() if kind != own
            for other in pattern.finditer(around)  # a Finder: its matches as the pattern's finditer
            if (frozenset({own, kind}) not in _WEAK or own_plain or _NOT_SOFTWARE.fullmatch(other.group()))
            and not (own_soft and _SOFT.fullmatch(other.group()))
        )

    return check


# One rule per kind: tried (gate) only where a literal of another kind stands near.
JAILBREAK: tuple[Rule, ...] = tuple(
    Rule(
        "role_hijack", ThreatLevel.HIGH,
        "text casts the reader as a character without limits (two kinds of jailbreak phrase side by side)",
        literals,
        pattern,
        window=REACH + 80,
        check=_paired(kind),
        near=(tuple(sorted({x for other, (_, xs) in _KINDS.items() if other != kind for x in xs})),),
    )
    for kind, (pattern, literals) in _KINDS.items()
)
