"""``rules eval``: measure the rules against a labelled folder of saved mail, fast enough to
re-run after every edit.

Two kinds of label file (tab-separated, with a header line):

* ``path  kind  source_says`` (the third-party corpus): ``bounce``, ``autoreply`` and ``list``
  mail must be suppressed; the others should not be. Measures suppression.
* ``path  request_type  missing`` (our request corpora; ``missing`` is a comma-separated list of
  document ids, empty when complete): measures classification: a confusion table, precision and
  recall per request type, and the rate of exact matches of the missing list.

Speed: what does not depend on the rules (parsing, screening, text extraction and OCR) is
cached on disk per mail by the SHA-256 of its bytes, next to an extraction cache per attachment
(``documents.DocumentCache`` on a store.EvalStore); the cache is keyed by a fingerprint of the
code and settings that produced it, so an upgrade recomputes rather than misleads. A re-run
after a rules edit only classifies. Cache misses are computed in worker processes when there
are enough of them to pay for the start-up.
"""

from __future__ import annotations

import csv
import email.message
import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .analysis import analyse
from .classify import classify, request_evidence
from .config import Config
from .documents import DocumentText
from .envelope import Envelope
from .ruleset import RuleSet
from .screen import ScreenResult, attachment_offers, settle

#: Kinds of the corpus labels that must never get a reply.
MUST_SUPPRESS = ("bounce", "autoreply", "list")
#: Kinds that should get a reply (a suppression here is a false positive).
MUST_ANSWER = ("ordinary",)
SUPPRESSED = "(suppressed)"
ERROR = "(error)"
#: Below this many cache misses, worker processes cost more than they save.
PARALLEL_MIN = 40
#: Text kept from a mail body (classify reads 5000 characters).
BODY_CHARS = 20000


class LabelsError(Exception):
    pass


@dataclass
class Label:
    path: str
    file: Path
    kind: str = ""
    request_type: str = ""
    missing: tuple[str, ...] = ()


@dataclass
class Decision:
    """What the current rules decide for one mail."""

    path: str
    suppress: bool = False
    rule: str = ""
    request_type: str | None = None
    missing: tuple[str, ...] = ()
    error: str = ""

    @property
    def key(self) -> str:
        """One comparable string: what changed between two evals."""
        if self.error:
            return ERROR
        if self.suppress:
            return f"{SUPPRESSED} {self.rule}"
        return f"{self.request_type} missing=[{','.join(self.missing)}]"

    @property
    def predicted(self) -> str:
        return ERROR if self.error else SUPPRESSED if self.suppress else str(self.request_type)


@dataclass
class Report:
    mode: str
    total: int
    seconds: float
    cached: int
    decisions: list[tuple[Label, Decision]]
    changed: list[tuple[str, str, str]] = field(default_factory=list)
    previous_found: bool = False

    @property
    def rate(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else float("inf")


# ---------------------------------------------------------------------------------------------
# Labels


def read_labels(directory: Path, labels_file: Path | None) -> tuple[str, list[Label]]:
    """(mode, labels); without a labels file every .eml under ``directory``, unlabelled."""
    if labels_file is None:
        for name in ("labels.tsv", "labels.txt"):
            if (directory / name).is_file():
                labels_file = directory / name
                break
    if labels_file is None:
        files = sorted(p for p in directory.rglob("*.eml") if ".helpdesk-eval" not in p.parts)
        return "unlabelled", [Label(str(p.relative_to(directory)), p) for p in files]
    try:
        text = labels_file.read_text(encoding="utf-8")
    except OSError as e:
        raise LabelsError(f"{labels_file}: cannot be read: {e.strerror or e}") from e
    rows = list(csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows:
        raise LabelsError(f"{labels_file}:1: empty labels file")
    header = [h.strip() for h in rows[0]]
    if header[:1] != ["path"] or len(header) < 2 or header[1] not in ("kind", "request_type"):
        raise LabelsError(f"{labels_file}:1: expected a header 'path<TAB>kind<TAB>source_says' or "
                          f"'path<TAB>request_type<TAB>missing', got {chr(9).join(header)!r}")
    mode = "suppression" if header[1] == "kind" else "classification"
    labels = []
    for n, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip() or row[0].startswith("#"):
            continue
        if len(row) < 2:
            raise LabelsError(f"{labels_file}:{n}: expected at least 2 tab-separated columns, got {row!r}")
        rel = row[0].strip()
        file = directory / rel
        if not file.exists() and (labels_file.parent / rel).exists():
            file = labels_file.parent / rel
        if mode == "suppression":
            labels.append(Label(rel, file, kind=row[1].strip()))
        else:
            raw_missing = row[2].strip() if len(row) > 2 else ""
            missing = tuple(sorted(m.strip() for m in raw_missing.split(",") if m.strip() and m.strip() != "-"))
            labels.append(Label(rel, file, request_type=row[1].strip(), missing=missing))
    return mode, labels


# ---------------------------------------------------------------------------------------------
# The cache: per mail (parse + screen + documents) and per attachment (extraction)


def fingerprint(config: Config) -> str:
    """Code and settings that decide what is cached; the rules are not among them."""
    h = hashlib.sha256(__version__.encode())
    here = Path(__file__).parent
    names = ["analysis.py", "parse.py", "screen.py", "evaluate.py", "redact.py", "envelope.py", "trust.py"]
    names += sorted(p.relative_to(here).as_posix() for p in (here / "documents").glob("*.py"))
    for name in names:
        try:
            h.update((here / name).read_bytes())
        except OSError:
            pass
    h.update(repr(config.limits).encode())
    h.update(repr(sorted(config.own_addresses)).encode())
    h.update(repr(config.screening).encode())
    return h.hexdigest()[:16]


class EvalCache:
    """One SQLite file: the Store's doc_cache (documents.DocumentCache) plus prepared mails."""

    def __init__(self, path: Path):
        from .pipeline import RedactingCache
        from .store import EvalStore

        path.parent.mkdir(parents=True, exist_ok=True)
        self.store = EvalStore(path)
        #: What extract_all uses: text with credentials already masked.
        self.docs = RedactingCache(self.store)

    def get_many(self, shas: list[str], fp: str) -> dict[str, dict[str, Any]]:
        return self.store.prepared_mails(shas, fp)

    def put_many(self, items: list[tuple[str, dict[str, Any]]], fp: str) -> None:
        self.store.put_prepared_mails(items, fp)

    def close(self) -> None:
        self.store.close()


def prepare(raw: bytes, config: Config, doc_cache: Any = None) -> dict[str, Any]:
    """Everything about one mail that does not depend on the rules, as plain JSON.

    The daemon's own ``analysis.analyse`` without rules; ``decide`` classifies it with the rules.
    """
    try:
        a = analyse(raw, None, config.limits, doc_cache, config.own_addresses)
    except Exception as e:  # MemoryError: the mail gets an error line, the eval goes on
        return {"error": f"{type(e).__name__}: {e}"}
    if a.error or a.env is None or a.verdict is None:
        return {"error": a.error}
    return {"suppress": a.verdict.suppress, "rule": a.verdict.rule, "reason": a.verdict.reason,
            "soft": a.verdict.soft, "hits": [list(h) for h in a.verdict.hits],
            "subject": a.env.subject, "text": a.env.text[:BODY_CHARS], "docs": [d.to_json() for d in a.docs]}


def decide(path: str, rec: dict[str, Any], rules: RuleSet) -> Decision:
    if rec.get("error"):
        return Decision(path, error=rec["error"])
    if rec["suppress"] and not rec.get("soft"):
        return Decision(path, suppress=True, rule=rec["rule"])
    env = Envelope(raw=b"", headers=email.message.Message(), message_id="", subject=rec["subject"], sender="",
                   text=rec["text"])
    docs = [DocumentText.from_json(d) for d in rec["docs"]]
    try:
        r = classify(env, docs, rules)
    except Exception as e:
        return Decision(path, error=f"{type(e).__name__}: {e}")
    verdict = ScreenResult(bool(rec["suppress"]), rec.get("rule") or "", rec.get("reason") or "",
                           tuple(tuple(h) for h in rec.get("hits", [])), soft=bool(rec["suppress"]))
    # Soft hits only (hard ones returned above): a brochure's offer counts, the request evidence
    # settles them (screen.attachment_offers, screen.settle), as analysis does.
    verdict = attachment_offers(verdict, [(a.filename, d.text) for d, a in zip(docs, r.attachments)
                                          if not a.documents and d.text])
    if verdict.suppress and settle(verdict, *request_evidence(env, r)).suppress:
        return Decision(path, suppress=True, rule=verdict.rule)
    return Decision(path, request_type=r.request_type, missing=tuple(sorted(r.missing)))


# -- worker processes -------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(config: Config, cache_path: str) -> None:
    from .pipeline import RedactingCache
    from .store import Store

    _worker["config"] = config
    _worker["docs"] = RedactingCache(Store(cache_path))


def _prepare_file(item: tuple[str, str]) -> tuple[str, dict[str, Any]]:
    sha, file = item
    try:
        raw = Path(file).read_bytes()
    except OSError as e:
        return sha, {"error": f"cannot read: {e.strerror or e}", "nocache": True}
    return sha, prepare(raw, _worker["config"], _worker["docs"])


# ---------------------------------------------------------------------------------------------
# Running an eval


def _read(label: Label) -> tuple[str, bytes | None, str]:
    try:
        raw = label.file.read_bytes()
    except OSError as e:
        return "", None, f"cannot read: {e.strerror or e}"
    return hashlib.sha256(raw).hexdigest(), raw, ""


def run(directory: Path, config: Config, rules: RuleSet, labels_file: Path | None = None,
        cache_dir: Path | None = None, workers: int | None = None) -> Report:
    t0 = time.perf_counter()
    mode, labels = read_labels(directory, labels_file)
    cache_dir = cache_dir or directory / ".helpdesk-eval"
    cache = EvalCache(cache_dir / "cache.sqlite")
    fp = fingerprint(config)
    try:
        shas: dict[str, str] = {}
        errors: dict[str, str] = {}
        raws: dict[str, bytes] = {}
        for lb in labels:
            sha, raw, err = _read(lb)
            if err:
                errors[lb.path] = err
                continue
            shas[lb.path] = sha
            raws.setdefault(sha, raw)  # type: ignore[arg-type]
        known = cache.get_many(sorted(set(shas.values())), fp)
        todo = [sha for sha in raws if sha not in known]
        cached = sum(1 for lb in labels if shas.get(lb.path) in known)
        files = {shas[lb.path]: lb.file for lb in labels if lb.path in shas}
        fresh = _compute(todo, raws, files, config, cache, workers)
        cache.put_many([(sha, rec) for sha, rec in fresh.items() if not rec.get("nocache")], fp)
        known.update(fresh)
        decisions = []
        for lb in labels:
            if lb.path in errors:
                decisions.append((lb, Decision(lb.path, error=errors[lb.path])))
            else:
                decisions.append((lb, decide(lb.path, known[shas[lb.path]], rules)))
        report = Report(mode, len(labels), 0.0, cached, decisions)
        _compare_with_previous(report, cache_dir / "decisions.json", labels_file or directory)
        report.seconds = time.perf_counter() - t0
        return report
    finally:
        cache.close()


def _compute(todo: list[str], raws: dict[str, bytes], files: dict[str, Path], config: Config,
             cache: EvalCache, workers: int | None) -> dict[str, dict[str, Any]]:
    if not todo:
        return {}
    n = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if n > 1 and len(todo) >= PARALLEL_MIN:
        import multiprocessing

        ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else multiprocessing.get_context()
        with ctx.Pool(n, initializer=_init_worker, initargs=(config, cache.store.path)) as pool:
            return dict(pool.imap_unordered(_prepare_file, [(sha, str(files[sha])) for sha in todo], chunksize=8))
    return {sha: prepare(raws[sha], config, cache.docs) for sha in todo}


def _compare_with_previous(report: Report, state_file: Path, labels_key: Path) -> None:
    current = {d.path: d.key for _lb, d in report.decisions}
    try:
        previous = json.loads(state_file.read_text(encoding="utf-8"))
        report.previous_found = True
    except (OSError, ValueError):
        previous = {}
    old = previous.get("decisions", {}) if previous.get("labels") == str(labels_key.resolve()) else {}
    report.previous_found = bool(old)
    for path, key in current.items():
        if path in old and old[path] != key:
            report.changed.append((path, old[path], key))
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"labels": str(labels_key.resolve()), "at": time.time(), "decisions": current},
                              ensure_ascii=False, indent=0), encoding="utf-8")
    os.replace(tmp, state_file)


# ---------------------------------------------------------------------------------------------
# Metrics and the printed report


def pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "-"


def suppression_table(report: Report) -> tuple[list[str], dict[str, Any]]:
    by_kind: dict[str, Counter[str]] = {}
    for lb, d in report.decisions:
        c = by_kind.setdefault(lb.kind, Counter())
        c["mails"] += 1
        c["error" if d.error else "suppressed" if d.suppress else "answered"] += 1
    lines = [f"{'kind':<12}{'mails':>7}{'suppressed':>12}{'answered':>10}{'error':>7}   expectation"]
    must, must_ok, fp, fp_n = 0, 0, 0, 0
    for kind in sorted(by_kind, key=lambda k: (k not in MUST_SUPPRESS, k)):
        c = by_kind[kind]
        if kind in MUST_SUPPRESS:
            expect = f"must be suppressed: {pct(c['suppressed'], c['mails'])}"
            must += c["mails"]
            must_ok += c["suppressed"]
        elif kind in MUST_ANSWER:
            expect = f"should be answered: {pct(c['answered'], c['mails'])}"
            fp += c["suppressed"]
            fp_n += c["mails"]
        else:
            expect = "(no expectation)"
        lines.append(f"{kind:<12}{c['mails']:>7}{c['suppressed']:>12}{c['answered']:>10}{c['error']:>7}   {expect}")
    lines.append(f"machine mail suppressed (recall): {must_ok}/{must} = {pct(must_ok, must)}")
    if fp_n:
        lines.append(f"ordinary mail wrongly suppressed: {fp}/{fp_n} = {pct(fp, fp_n)}")
    leaked = [d.path for lb, d in report.decisions if lb.kind in MUST_SUPPRESS and not d.suppress]
    for p in leaked[:50]:
        lines.append(f"  NOT SUPPRESSED ({next(lb.kind for lb, d in report.decisions if d.path == p)}): {p}")
    metrics = {"must_suppress": must, "suppressed": must_ok, "recall": must_ok / must if must else None,
               "ordinary_suppressed": fp, "leaked": leaked,
               "by_kind": {k: dict(v) for k, v in by_kind.items()}}
    return lines, metrics


def classification_table(report: Report, rules: RuleSet) -> tuple[list[str], dict[str, Any]]:
    pairs = [(lb.request_type, d.predicted) for lb, d in report.decisions]
    classes = sorted({a for a, _ in pairs} | {p for _, p in pairs}, key=lambda c: (c.startswith("("), c))
    conf = Counter(pairs)
    width = max([len(c) for c in classes] + [12]) + 1
    short = {c: (c[:10] if len(c) > 10 else c) for c in classes}
    lines = ["confusion (rows: label, columns: decision)",
             " " * width + "".join(f"{short[c]:>11}" for c in classes)]
    for a in classes:
        if not any(x == a for x, _ in pairs):
            continue
        lines.append(f"{a:<{width}}" + "".join(f"{conf[(a, p)] or '.':>11}" for p in classes))
    lines.append("")
    lines.append(f"{'request_type':<{width}}{'labelled':>9}{'decided':>9}{'precision':>11}{'recall':>9}")
    per_type: dict[str, dict[str, Any]] = {}
    for c in classes:
        if c.startswith("("):
            continue
        tp = conf[(c, c)]
        labelled = sum(v for (a, _p), v in conf.items() if a == c)
        decided = sum(v for (_a, p), v in conf.items() if p == c)
        per_type[c] = {"labelled": labelled, "decided": decided,
                       "precision": tp / decided if decided else None, "recall": tp / labelled if labelled else None}
        unknown = "" if c in rules.types else "   (not a request type in rules/)"
        lines.append(f"{c:<{width}}{labelled:>9}{decided:>9}{pct(tp, decided):>11}{pct(tp, labelled):>9}{unknown}")
    correct = sum(1 for lb, d in report.decisions if d.predicted == lb.request_type)
    exact = sum(1 for lb, d in report.decisions if d.predicted == lb.request_type and tuple(d.missing) == lb.missing)
    lines.append("")
    lines.append(f"accuracy: {correct}/{report.total} = {pct(correct, report.total)}")
    lines.append(f"missing list exact match: {exact}/{report.total} = {pct(exact, report.total)} "
                 f"(of correctly typed: {pct(exact, correct)})")
    wrong = [(lb, d) for lb, d in report.decisions if d.predicted != lb.request_type or tuple(d.missing) != lb.missing]
    for lb, d in wrong[:50]:
        lines.append(f"  WRONG {lb.path}: labelled {lb.request_type} missing=[{','.join(lb.missing)}], decided {d.key}"
                     + (f" ({d.error})" if d.error else ""))
    metrics = {"accuracy": correct / report.total if report.total else None,
               "missing_exact": exact / report.total if report.total else None, "per_type": per_type,
               "confusion": {f"{a} -> {p}": v for (a, p), v in sorted(conf.items())}}
    return lines, metrics


def format_report(report: Report, rules: RuleSet) -> tuple[str, dict[str, Any]]:
    lines = [f"rules eval: {report.total} mails in {report.seconds:.2f} s ({report.rate:.0f} mails/s; "
             f"{report.cached} from the cache), rules {rules.version}, mode: {report.mode}", ""]
    metrics: dict[str, Any] = {"mails": report.total, "seconds": report.seconds, "cached": report.cached,
                               "mode": report.mode, "rules": rules.version}
    if report.mode == "suppression":
        body, m = suppression_table(report)
    elif report.mode == "classification":
        body, m = classification_table(report, rules)
    else:
        counts = Counter(d.predicted for _lb, d in report.decisions)
        body = ["no labels file: decisions only"] + [f"  {k:<24}{v:>6}" for k, v in counts.most_common()]
        m = {"decisions": dict(counts)}
    lines += body
    metrics.update(m)
    errors = [d for _lb, d in report.decisions if d.error]
    if errors:
        lines.append(f"\nerrors ({len(errors)}):")
        lines += [f"  {d.path}: {d.error}" for d in errors[:20]]
    lines.append("")
    if not report.previous_found:
        lines.append("changed since the previous eval: (no previous eval of these labels)")
    else:
        lines.append(f"changed since the previous eval: {len(report.changed)}")
        for path, old, new in report.changed[:200]:
            lines.append(f"  {path}: {old} -> {new}")
    metrics["changed"] = [{"path": p, "before": o, "after": n} for p, o, n in report.changed]
    return "\n".join(lines), metrics


def iter_paths(report: Report) -> Iterator[str]:  # pragma: no cover - convenience for scripts
    for lb, _d in report.decisions:
        yield lb.path
