"""Rewrites GRDB calls whose SQL is a constant string literal to use the connection's statement cache.

    db.execute(sql: "…", arguments: …)        ->  db.cachedStatement(sql: "…").execute(arguments: …)
    T.fetchOne(db, sql: "…", arguments: …)    ->  T.fetchOne(db.cachedStatement(sql: "…"), arguments: …)
    (likewise fetchAll, fetchSet, fetchCount)

Only literals without interpolation are rewritten (an interpolated SQL string would fill the cache with one
statement per distinct text). Preparing a statement (parsing the SQL) was a sixth of the worker's CPU.

    python3 scripts/dev/cache_statements.py FILE...
"""
import re
import sys

LITERAL = r'(?P<lit>"""(?:(?!""").)*?"""|"(?:[^"\\\n]|\\.)*")'
FETCH = re.compile(r'\.(?P<fn>fetchOne|fetchAll|fetchSet|fetchCount)\(\s*(?P<db>db|database),\s*sql:\s*' + LITERAL, re.S)
EXECUTE = re.compile(r'(?P<db>\bdb)\.execute\(\s*sql:\s*' + LITERAL + r'(?P<rest>\s*(?:,\s*arguments:|\)))', re.S)


def interpolated(literal):
    return "\\(" in literal


def rewrite(text):
    def fetch(match):
        if interpolated(match["lit"]):
            return match[0]
        return f'.{match["fn"]}({match["db"]}.cachedStatement(sql: {match["lit"]})'

    def execute(match):
        if interpolated(match["lit"]):
            return match[0]
        rest = match["rest"]
        if rest.strip() == ")":
            return f'{match["db"]}.cachedStatement(sql: {match["lit"]}).execute()'
        return f'{match["db"]}.cachedStatement(sql: {match["lit"]}).execute(arguments:'

    return EXECUTE.sub(execute, FETCH.sub(fetch, text))


if __name__ == "__main__":
    for path in sys.argv[1:]:
        with open(path) as handle:
            before = handle.read()
        after = rewrite(before)
        if after != before:
            with open(path, "w") as handle:
                handle.write(after)
            print("rewrote", path)
