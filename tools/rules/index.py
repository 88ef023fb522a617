#!/usr/bin/env python3
"""Builds Sources/YibaoConformance/Catalogue/rules.json from docs/RULES.md — every rule id (the
policy rules and the PROTOCOL-* clauses), its title, one-line summary, source and whether it is
machine-checkable (with the reason when not) — and, from the sources: the Swift files that cite it
through a `Rule` constant (`rule: .py5`, `Rule.py5`) or by its id in a message or a doc comment —
the "mentioned" column of `yibao rules` — and, apart from those, the files that refuse or flag under
it: a `rule:` argument (`DomainError(…, rule: .py5, …)`, `Problem(…, rule: Rule.py5.rawValue, …)`, a
helper's `rule: .ag5`) or a row of the smart audit's table (`(id, .sv3, .refuse, …)`) — the
"refuses" column; and the test files that name it (its constant or its id) — the "tests" column.
The conformance cases that check a rule come from catalogue.json.

    python3 tools/rules/index.py            # rewrite rules.json
    python3 tools/rules/index.py --check    # exit 1 if rules.json is not what the sources give

docs/RULES.md is the only source of the rules' text: a rule constant in Rule.swift without an
entry there, or an entry without its Summary line, stops the script naming it.
"""
import json, os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Sources/YibaoConformance/Catalogue/rules.json")
RULE_FILE = os.path.join(ROOT, "Sources/YibaoCore/Support/Rule.swift")
RULES_MD = os.path.join(ROOT, "docs", "RULES.md")
FAMILIES = ["ID", "AG", "PR", "SC", "RX", "PY", "XR", "SV", "GEN", "PROTOCOL"]
ID_IN_TEXT = re.compile(r"\b((?:ID|AG|PR|SC|RX|PY|XR|SV|GEN)-\d+)\b")


def statics():
    """Rule constant name -> id, from Rule.swift."""
    text = open(RULE_FILE, encoding="utf-8").read()
    return dict(re.findall(r'static let (\w+) = Rule\(rawValue: "([A-Z]+-[A-Z0-9]+)"\)', text))


def rules_document():
    """id -> {title, summary, source, manual}, in the order of docs/RULES.md."""
    entries, current = {}, None
    for number, line in enumerate(open(RULES_MD, encoding="utf-8"), 1):
        heading = re.match(r"### ([A-Z]+-[A-Z0-9]+) \u00b7 (.+)$", line.rstrip())
        if heading:
            current = heading.group(1)
            if current in entries:
                sys.exit(f"docs/RULES.md:{number}: {current} appears twice")
            entries[current] = {"title": heading.group(2).strip(), "summary": "", "source": "", "manual": None, "line": number}
            continue
        if current is None:
            continue
        text = line.strip()
        if text.startswith("Summary:"):
            entries[current]["summary"] = text[len("Summary:"):].strip()
        elif text.startswith("- **Source:**"):
            entries[current]["source"] = text[len("- **Source:**"):].strip()
        elif text.startswith("- **Machine-checkable:**"):
            verdict = text[len("- **Machine-checkable:**"):].strip()
            if verdict.startswith("no"):
                reason = verdict[2:].lstrip(" —-:").strip()
                if not reason:
                    sys.exit(f"docs/RULES.md: {current} is marked not machine-checkable without a reason")
                entries[current]["manual"] = reason
            elif verdict != "yes":
                sys.exit(f"docs/RULES.md: {current}: Machine-checkable is `yes` or `no — reason`, not {verdict!r}")
    for rule, entry in entries.items():
        if not entry["summary"]:
            sys.exit(f"docs/RULES.md:{entry['line']}: {rule} has no `Summary:` line under its heading")
    return entries


def swift_files(folder, skip_names=()):
    """(path relative to the repository, text) of every Swift file under `folder`; the tester's own sources
    (YibaoConformance) name rules too, but they are not what enforces them, so Sources/ leaves them out."""
    for base, _, files in os.walk(os.path.join(ROOT, folder)):
        if folder == "Sources" and "YibaoConformance" in base:
            continue
        for name in files:
            path = os.path.join(base, name)
            if not name.endswith(".swift") or name in skip_names or os.path.samefile(path, RULE_FILE):
                continue
            yield os.path.relpath(path, ROOT), open(path, encoding="utf-8").read()


def constant_pattern(names):
    """A `Rule` constant used in code: `.py5`, `Rule.py5`."""
    return re.compile(r"(?:Rule)?\.(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")


def references(folder, names):
    """Files under `folder` that cite a rule: its constant, or its id written out (in a message, a doc comment
    naming the rule a function implements, a test's name)."""
    refs = {}
    constant = constant_pattern(names)
    for rel, source in swift_files(folder):
        for m in constant.finditer(source):
            refs.setdefault(names[m.group(1)], set()).add(rel)
        for m in ID_IN_TEXT.finditer(source):
            refs.setdefault(m.group(1), set()).add(rel)
        if folder == "Tests":
            for m in re.finditer(r"\b(PROTOCOL-[A-Z]+)\b", source):
                refs.setdefault(m.group(1), set()).add(rel)
    return {k: sorted(v) for k, v in refs.items()}


def enforcing_references(names):
    """Files that refuse or flag under a rule: `rule:` arguments and the smart audit's rows. The error-code
    registry's default rules are not a code path that refuses."""
    refs = {}
    alternatives = "|".join(sorted(names, key=len, reverse=True))
    argument = re.compile(r"\brule:\s*(?:Rule\s*=\s*)?(?:Rule)?\.(" + alternatives + r")\b")
    audit_row = re.compile(r"\(\s*\w+\s*,\s*\.(" + alternatives + r")\s*,\s*\.(?:refuse|flag)\b")
    for rel, source in swift_files("Sources", skip_names=("ErrorCode.swift",)):
        for pattern in (argument, audit_row):
            for m in pattern.finditer(source):
                refs.setdefault(names[m.group(1)], set()).add(rel)
    return {k: sorted(v) for k, v in refs.items()}


def build():
    names = statics()
    document = rules_document()
    missing = sorted(set(names.values()) - set(document))
    if missing:
        sys.exit(f"docs/RULES.md has no entry for {', '.join(missing)} (a constant of Rule.swift)")
    refs = references("Sources", names)
    enforcing = enforcing_references(names)
    tests = references("Tests", names)
    def order(rule):
        prefix, _, number = rule.partition("-")
        return (FAMILIES.index(prefix) if prefix in FAMILIES else 99, int(number) if number.isdigit() else 0, rule)
    rules = []
    for i in sorted(document, key=order):
        entry = document[i]
        row = {"id": i, "title": entry["title"], "summary": entry["summary"], "source": entry["source"]}
        if entry["manual"]:
            row["manual"] = entry["manual"]
        row.update({"code": refs.get(i, []), "refuses": enforcing.get(i, []), "tests": tests.get(i, [])})
        rules.append(row)
    return rules


def main():
    rules = build()
    rendered = json.dumps(rules, ensure_ascii=False, indent=1) + "\n"
    if "--check" in sys.argv:
        current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else ""
        if current != rendered:
            print("rules.json is stale: run python3 tools/rules/index.py", file=sys.stderr)
            sys.exit(1)
        print(f"rules.json is current: {len(rules)} rules, {sum(1 for r in rules if r['refuses'])} refused or flagged under their id, {sum(1 for r in rules if r['code'])} mentioned by code")
        return
    open(OUT, "w", encoding="utf-8").write(rendered)
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(rules)} rules, {sum(1 for r in rules if r['refuses'])} refused or flagged under their id, {sum(1 for r in rules if r['code'])} mentioned by code")


if __name__ == "__main__":
    main()
