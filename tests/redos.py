"""Find every regular expression of helpdesk_bot and time it on adversarial strings.

Used by tests/test_linear_regex.py, which runs this file as a child process: a pattern that
backtracks exponentially never returns (Python's ``re`` cannot be interrupted), so only a
process with a timeout can report it. Run by hand to see the figures:

    PYTHONPATH=$PWD python3 tests/redos.py            # one line per pattern, slowest input
    PYTHONPATH=$PWD python3 tests/redos.py --only screen

Patterns are collected, not listed, so a new one is covered automatically:
  * every module-level ``re.Pattern`` (also inside module-level tuples, lists and dicts);
  * every ``re.<function>("literal", ...)`` call in the source (found with ``ast``);
  * the label patterns that ``fields`` builds from the shipped forms and rules, and the
    keyword patterns of the shipped rule set (both run on mail and document text).
A ``re.<function>(...)`` call whose pattern is neither a literal nor a module constant is
reported as ``DYNAMIC`` unless it is listed in ``DYNAMIC_ALLOWED`` with how it is covered.

The attack strings follow the classic shape *prefix + pump x k + bad suffix*: for every
repetition in the pattern, ``pump`` is a sample of what it repeats (each branch of an
alternation separately) and ``prefix`` a sample of what precedes it, plus generic runs of
spaces, letters, digits, newlines and the pattern's own literals. Every string is timed with
``findall`` (a scan from each position: what ``search`` costs when nothing matches) and with
``fullmatch`` at 2 KB, and the slowest four again at 100 KB.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
import time
from pathlib import Path

try:
    import re._parser as sre_parse  # Python 3.11+
    import re._constants as C
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]
    import sre_constants as C  # type: ignore[no-redef]

import helpdesk_bot

#: Calls of re.<fn>(pattern) whose pattern is built at run time, and how each is covered.
DYNAMIC_ALLOWED = {
    ("helpdesk_bot.fields", "_label_regex"): "label patterns of the shipped forms and rules (below)",
    ("helpdesk_bot.ruleset", "_line_of"): "escaped TOML key of an operator file, not mail data",
    ("helpdesk_bot.ruleset", "_regexes"): "keyword patterns of the shipped rule set (below)",
    ("helpdesk_bot.cli_ops", "*"): "escaped config key, not mail data",
}

#: Every attack string is tried at SMALL characters; the slowest few again at LARGE.
SMALL = 2_000
LARGE = 100_000
#: Seconds. A linear pattern needs milliseconds for 100 KB; backtracking needs seconds or hours.
LIMIT = 1.0
_GENERIC = (" ", "a", "1", "\n", "\t", "a ", "a@", "a.", "1 ", "Fw: ", "re: ", "[a]", "*a*", "<a", "-", ":", ". ")
_FUNCS = ("compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer")


# ------------------------------------------------------------------------------------------
# Collecting the patterns


def _modules() -> list:
    mods = []
    for info in pkgutil.walk_packages(helpdesk_bot.__path__, "helpdesk_bot."):
        if info.name.endswith("__main__"):
            continue
        mods.append(importlib.import_module(info.name))
    return mods


def _attr_patterns(mod) -> dict[str, re.Pattern]:
    found: dict[str, re.Pattern] = {}
    for key, value in vars(mod).items():
        items = [(key, value)]
        if isinstance(value, (tuple, list)):
            items = [(f"{key}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(value, dict):
            items = [(f"{key}[{k!r}]", v) for k, v in value.items()]
        for name, v in items:
            if isinstance(v, re.Pattern) and isinstance(v.pattern, str):
                found[f"{mod.__name__}.{name}"] = v
    return found


def _flags(call: ast.Call, src: str) -> int:
    flags = 0
    rest = call.args[1:] + [kw.value for kw in call.keywords if kw.arg == "flags"]
    for node in rest:
        text = ast.get_source_segment(src, node) or ""
        for name in ("I", "M", "S", "X", "IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE", "A", "ASCII"):
            if re.search(rf"\bre\.{name}\b", text):
                flags |= getattr(re, name)
    return flags


def _call_patterns(mod) -> tuple[dict[str, re.Pattern], list[str]]:
    """Literal patterns of re.<fn>(...) calls, and the calls whose pattern is built at run time."""
    src = Path(mod.__file__).read_text(encoding="utf-8")
    tree = ast.parse(src)
    found: dict[str, re.Pattern] = {}
    dynamic: list[str] = []
    module_names = {k for k, v in vars(mod).items() if isinstance(v, (str, re.Pattern))}
    for func in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] + [tree]:
        for node in ast.walk(func):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                    and node.func.attr in _FUNCS and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found[f"{mod.__name__}:{node.lineno}"] = re.compile(arg.value, _flags(node, src))
            elif isinstance(arg, ast.Name) and arg.id in module_names:
                continue  # a module constant: covered as an attribute (or a plain string part)
            elif func is not tree:
                where = (mod.__name__, func.name)
                if where not in DYNAMIC_ALLOWED and (mod.__name__, "*") not in DYNAMIC_ALLOWED:
                    dynamic.append(f"{mod.__name__}:{node.lineno} ({func.name})")
    return found, dynamic


def _shipped_rule_patterns() -> dict[str, re.Pattern]:
    """Label patterns built by fields from the shipped forms/rules, and the rules' own regexes."""
    from helpdesk_bot import fields
    from helpdesk_bot.config import shipped
    from helpdesk_bot.ruleset import load_ruleset

    found: dict[str, re.Pattern] = {}
    try:
        rules = load_ruleset(shipped("rules"), shipped("forms"), shipped("templates"))
    except Exception as e:  # pragma: no cover - reported, not hidden
        print(f"DYNAMIC ruleset could not be loaded: {e}", flush=True)
        return found
    seen_labels: set[str] = set()
    for obj in _walk(rules):
        if isinstance(obj, re.Pattern) and isinstance(obj.pattern, str):
            found[f"rules:{obj.pattern[:40]}"] = obj
        labels = getattr(obj, "labels", None)
        if isinstance(labels, (tuple, list)):
            for label in labels:
                if isinstance(label, str) and label not in seen_labels:
                    seen_labels.add(label)
                    found[f"fields._label_regex({label!r})"] = fields._label_regex(label)
    return found


def _walk(obj, depth: int = 0, seen: set[int] | None = None):
    """Every object reachable from the rule set through dataclass fields and containers."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 8:
        return
    seen.add(id(obj))
    yield obj
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, (tuple, list, set, frozenset)):
        children = list(obj)
    elif hasattr(obj, "__dataclass_fields__"):
        children = [getattr(obj, f, None) for f in obj.__dataclass_fields__]
    else:
        return
    for child in children:
        yield from _walk(child, depth + 1, seen)


def collect() -> tuple[dict[str, re.Pattern], list[str]]:
    patterns: dict[str, re.Pattern] = {}
    dynamic: list[str] = []
    for mod in _modules():
        patterns.update(_attr_patterns(mod))
        found, dyn = _call_patterns(mod)
        patterns.update(found)
        dynamic += dyn
    patterns.update(_shipped_rule_patterns())
    # One entry per distinct pattern (the same object is often reachable under several names).
    unique: dict[tuple[str, int], tuple[str, re.Pattern]] = {}
    for name, p in sorted(patterns.items()):
        unique.setdefault((p.pattern, p.flags), (name, p))
    return {name: p for name, p in unique.values()}, dynamic


# ------------------------------------------------------------------------------------------
# Attack strings

_CANDIDATES = "a 1\n\t.-_:@x<>[]()*/,;=#+'\"\x00Z"


def _in_set(ch: str, items) -> bool:
    hit, negate = False, False
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            hit |= ch == chr(av)
        elif op is C.RANGE:
            hit |= av[0] <= ord(ch) <= av[1]
        elif op is C.CATEGORY:
            name = str(av)
            test = {"DIGIT": ch.isdigit(), "SPACE": ch.isspace(), "WORD": ch.isalnum() or ch == "_"}
            for key, value in test.items():
                if key in name:
                    hit |= (not value) if "NOT" in name else value
    return hit != negate


def _sample(items) -> str:
    """A short string the parsed (sub)pattern matches, or nearly."""
    out = []
    for op, av in items:
        if op is C.LITERAL:
            out.append(chr(av))
        elif op is C.NOT_LITERAL:
            out.append("a" if chr(av) != "a" else "b")
        elif op is C.ANY:
            out.append("a")
        elif op is C.IN:
            out.append(next((c for c in _CANDIDATES if _in_set(c, av)), "a"))
        elif op is C.BRANCH:
            out.append(_sample(av[1][0]))
        elif op is C.SUBPATTERN:
            out.append(_sample(av[-1]))
        elif op is getattr(C, "ATOMIC_GROUP", None):
            out.append(_sample(av))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            out.append(_sample(av[2]) * av[0])
    return "".join(out)


def _pumps(items, prefix: str = ""):
    """(prefix, pump) for every repetition: the string before it and samples of its body."""
    items = list(items)
    for i, (op, av) in enumerate(items):
        before = prefix + _sample(items[:i])
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            body = list(av[2])
            if av[1] > 1:
                variants = [body]
                if len(body) == 1 and body[0][0] is C.BRANCH:
                    variants = [list(b) for b in body[0][1][1][:8]]
                elif len(body) == 1 and body[0][0] is C.SUBPATTERN:
                    inner = list(body[0][1][-1])
                    if len(inner) == 1 and inner[0][0] is C.BRANCH:
                        variants = [list(b) for b in inner[0][1][1][:8]]
                for variant in variants:
                    pump = _sample(variant) or _sample(body)
                    if pump:
                        yield before, pump
            yield from _pumps(body, before)
        elif op is C.BRANCH:
            for branch in av[1][:12]:
                yield from _pumps(branch, before)
        elif op is C.SUBPATTERN:
            yield from _pumps(av[-1], before)
        elif op is getattr(C, "ATOMIC_GROUP", None):
            yield from _pumps(av, before)


def attacks(p: re.Pattern, size: int) -> list[str]:
    parsed = sre_parse.parse(p.pattern, p.flags)
    seen: set[str] = set()
    out: list[str] = []

    def add(s: str) -> None:
        if s not in seen:
            seen.add(s)
            out.append(s)

    for prefix, pump in _pumps(list(parsed)):
        k = max(1, size // len(pump))
        add(prefix + pump * k)
        add(prefix + pump * k + "\x00!")
        add(pump * k + "\x00")
    for frag in _GENERIC:
        k = size // len(frag)
        add(frag * k)
        add(frag * k + "\x00!")
    return out


def _time(fn, s: str) -> float:
    t = time.perf_counter()
    fn(s)
    return time.perf_counter() - t


def _scaled(s: str, size: int) -> str:
    return (s * (size // max(1, len(s)) + 1))[:size] if len(s) < size else s[:size]


def probe(p: re.Pattern) -> tuple[bool, float, str]:
    """(failed, seconds at 100 KB, what) for the slowest attack strings of ``p``.

    A pattern fails when its slowest input takes over ``LIMIT`` at 100 KB *and* grows
    superlinearly (over 20x from 10 KB to 100 KB; linear is 10x, quadratic 100x), or takes
    over 10 x ``LIMIT`` however it grows. The growth test keeps a loaded machine, which
    slows every pattern alike, from failing a linear one.
    """
    trials = []
    for s in attacks(p, SMALL):
        for fn in (p.findall, p.fullmatch):
            dt = _time(fn, s)
            trials.append((dt, fn, s))
            if dt > LIMIT:  # already superlinear at 2 KB: do not wait for 100 KB
                return True, dt, f"{fn.__name__} on {s[:24]!r}... ({len(s)} chars)"
    trials.sort(key=lambda t: t[0], reverse=True)
    worst = (False, 0.0, "")
    for _, fn, s in trials[:4]:
        mid, big = _scaled(s, LARGE // 10), _scaled(s, LARGE)
        t_mid, t_big = _time(fn, mid), _time(fn, big)
        for _retry in range(2):  # a busy machine slows one run; the best of three is the pattern's
            if t_big <= LIMIT:
                break
            t_mid, t_big = min(t_mid, _time(fn, mid)), min(t_big, _time(fn, big))
        growth = t_big / max(t_mid, 1e-4)
        failed = t_big > 10 * LIMIT or (t_big > LIMIT and growth > 20)
        what = f"{fn.__name__} on {big[:24]!r}... ({len(big)} chars, {growth:.0f}x from 10 KB)"
        if (failed, t_big) > worst[:2]:
            worst = (failed, t_big, what)
    return worst


def main(argv: list[str]) -> int:
    only = argv[argv.index("--only") + 1] if "--only" in argv else ""
    patterns, dynamic = collect()
    for where in dynamic:
        print(f"DYNAMIC {where}", flush=True)
    print(f"COUNT {len(patterns)}", flush=True)
    bad = 0
    for name, p in patterns.items():
        if only and only not in name:
            continue
        print(f"START {name}", flush=True)
        failed, dt, what = probe(p)
        verdict = "FAIL" if failed else "OK"
        bad += verdict == "FAIL"
        print(f"{verdict} {dt:.3f}s {name} {what}", flush=True)
    return 1 if bad or dynamic else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
