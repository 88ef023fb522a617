#!/usr/bin/env python3
"""Builds Sources/YibaoConformance/Catalogue/rules.json: every rule id of DOMAIN.md (and the
PROTOCOL-* clauses), its one-line summary, and the Swift source files that cite it — through a
`Rule` constant (`rule: .py5`, `Rule.py5`) or by its id in a message or the doc comment of the code
that implements it — the "mentioned" column of `yibao rules` — and, apart from those, the files that
refuse or flag under the rule: a `rule:` argument (`DomainError(…, rule: .py5, …)`, `Problem(…, rule:
Rule.py5.rawValue, …)`, a helper's `rule: .ag5`) or a row of the smart audit's table (`(id, .sv3,
.refuse, …)`) — the "refuses" column. The conformance cases that check a rule come from catalogue.json.

    python3 tools/rules/index.py            # rewrite rules.json
    python3 tools/rules/index.py --check    # exit 1 if rules.json is not what the sources give

The summaries are taken from ../shared/DOMAIN.md when it is there, otherwise kept from the
existing rules.json, so the check works in a fresh clone.
"""
import json, os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Sources/YibaoConformance/Catalogue/rules.json")
RULE_FILE = os.path.join(ROOT, "Sources/YibaoCore/Support/Rule.swift")
DOMAIN = os.path.join(ROOT, "..", "shared", "DOMAIN.md")
PROTOCOL = {
    "PROTOCOL-ENVELOPE": "Envelopes are signed and sealed as PROTOCOL.md and docs/GATEWAY.md / docs/ENVELOPE.md say (FSI cainfo, HSE SM4 + SM2).",
    "PROTOCOL-REPLAY": "A message is processed once: time window, msgid / signData never reused.",
    "PROTOCOL-SIGNIN": "FSI transactions other than 9001 carry a live sign_no from 9001 sign-in.",
    "PROTOCOL-FIELDS": "Required business fields are present and well-formed; the refusal names the JSON pointer.",
}


def statics():
    """Rule constant name -> id, from Rule.swift."""
    text = open(RULE_FILE, encoding="utf-8").read()
    return dict(re.findall(r'static let (\w+) = Rule\(rawValue: "([A-Z]+-[A-Z0-9]+)"\)', text))


def summaries(existing):
    found = {}
    if os.path.exists(DOMAIN):
        for line in open(DOMAIN, encoding="utf-8"):
            m = re.match(r"- ((?:ID|AG|PR|SC|RX|PY|XR|SV)-\d+) (.*)", line.strip())
            if m:
                found[m.group(1)] = m.group(2).strip()
    else:
        found = {r["id"]: r["summary"] for r in existing if not r["id"].startswith("PROTOCOL-")}
    found.update(PROTOCOL)
    return found


def code_references(names):
    refs = {}
    pattern = re.compile(r"(?:Rule)?\.(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")
    for base, _, files in os.walk(os.path.join(ROOT, "Sources")):
        if "YibaoConformance" in base:
            continue  # the tester names rules too, but it is not what enforces them
        for name in files:
            if not name.endswith(".swift"):
                continue
            path = os.path.join(base, name)
            if os.path.samefile(path, RULE_FILE):
                continue
            rel = os.path.relpath(path, ROOT)
            source = open(path, encoding="utf-8").read()
            for m in pattern.finditer(source):
                refs.setdefault(names[m.group(1)], set()).add(rel)
            # The id written out (in a message, a doc comment naming the rule a function implements).
            for m in re.finditer(r"\b((?:ID|AG|PR|SC|RX|PY|XR|SV)-\d+)\b", source):
                refs.setdefault(m.group(1), set()).add(rel)
    return {k: sorted(v) for k, v in refs.items()}


def enforcing_references(names):
    """Files that refuse or flag under a rule: `rule:` arguments and the smart audit's rows."""
    refs = {}
    alternatives = "|".join(sorted(names, key=len, reverse=True))
    argument = re.compile(r"\brule:\s*(?:Rule\s*=\s*)?(?:Rule)?\.(" + alternatives + r")\b")
    audit_row = re.compile(r"\(\s*\w+\s*,\s*\.(" + alternatives + r")\s*,\s*\.(?:refuse|flag)\b")
    for base, _, files in os.walk(os.path.join(ROOT, "Sources")):
        if "YibaoConformance" in base:
            continue
        for name in files:
            if not name.endswith(".swift"):
                continue
            path = os.path.join(base, name)
            if os.path.samefile(path, RULE_FILE) or name == "ErrorCode.swift":
                continue  # the registry's default rules are not a code path that refuses
            rel = os.path.relpath(path, ROOT)
            source = open(path, encoding="utf-8").read()
            for pattern in (argument, audit_row):
                for m in pattern.finditer(source):
                    refs.setdefault(names[m.group(1)], set()).add(rel)
    return {k: sorted(v) for k, v in refs.items()}


def build(existing):
    names = statics()
    text = summaries(existing)
    refs = code_references(names)
    enforcing = enforcing_references(names)
    def order(rule):
        prefix, _, number = rule.partition("-")
        families = ["ID", "AG", "PR", "SC", "RX", "PY", "XR", "SV", "PROTOCOL"]
        return (families.index(prefix) if prefix in families else 99, int(number) if number.isdigit() else 0, rule)
    ids = sorted(set(text) | set(names.values()), key=order)
    return [{"id": i, "summary": text.get(i, ""), "code": refs.get(i, []), "refuses": enforcing.get(i, [])} for i in ids]


def main():
    existing = json.load(open(OUT, encoding="utf-8")) if os.path.exists(OUT) else []
    rules = build(existing)
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
